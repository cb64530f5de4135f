/**
 * `--results-csv FILE`: one row per request with the columns the usual pandas analysis
 * script reads, so that script (or `tickstorm analyze`) works on it:
 *
 *   timestamp,latency,success,duration,name
 *   1732280000.123456,3.217,True,0.126673,POST /orders
 *
 * - timestamp: when the request was scheduled (epoch seconds, as Python's time.time()),
 * - latency: milliseconds (3 decimals), measured from the scheduled time,
 * - success: True/False (what pandas reads as booleans),
 * - duration: seconds since the run started at the moment the row completed
 *   (timestamp + latency - start), so `len(df) / df["duration"].max()` is the throughput,
 * - name: the request name (Locust's Name column).
 *
 * The writer is built for the generator's hot path: rows are formatted straight into a
 * preallocated buffer (no strings or objects per row; request names are encoded once), and the
 * buffer goes to the file with one synchronous write each time it fills (1 MiB by default,
 * about 25,000 rows).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { LabError, LabErrorCode } from '../errors.ts';
import { csvField } from './csv.ts';

export const RESULTS_CSV_COLUMNS = ['timestamp', 'latency', 'success', 'duration', 'name'] as const;

/** With `scenarioColumn` (what `tickstorm run` writes): the scenario id last, for `analyze --scenario`. */
export const RESULTS_CSV_SCENARIO_COLUMNS = [...RESULTS_CSV_COLUMNS, 'scenario'] as const;
const TRUE = Buffer.from(',True,');
const FALSE = Buffer.from(',False,');
const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];
const MAX_NUMBER_BYTES = 24;

export interface ResultsCsvOptions {
  /** Epoch seconds the run started at (duration is measured from it); default: now. */
  startedAtSec?: number;
  bufferBytes?: number;
  /** Add a `scenario` column (write()'s 5th argument). */
  scenarioColumn?: boolean;
}

export class ResultsCsvWriter {
  readonly path: string;
  readonly startedAtSec: number;
  private fd: number;
  private readonly buf: Buffer;
  private pos = 0;
  private readonly names = new Map<string, Buffer>();
  private count = 0;
  private readonly scenarioColumn: boolean;

  constructor(path: string, opts: ResultsCsvOptions = {}) {
    this.path = path;
    this.startedAtSec = opts.startedAtSec ?? Date.now() / 1000;
    this.buf = Buffer.allocUnsafe(Math.max(4096, opts.bufferBytes ?? 1 << 20));
    this.fd = openSync(path, 'w');
    this.scenarioColumn = opts.scenarioColumn === true;
    const header = Buffer.from(
      `${(this.scenarioColumn ? RESULTS_CSV_SCENARIO_COLUMNS : RESULTS_CSV_COLUMNS).join(',')}\n`,
    );
    header.copy(this.buf, 0);
    this.pos = header.length;
  }

  /** Rows written so far. */
  get rows(): number {
    return this.count;
  }

  /** One finished request. `timestampSec` is its scheduled time (epoch seconds). */
  write(timestampSec: number, latencyMs: number, success: boolean, name: string, scenario = ''): void {
    if (this.fd < 0)
      throw new LabError(LabErrorCode.INTERNAL, `ResultsCsvWriter: write after close (${this.path})`);
    const key = this.scenarioColumn ? `${name}\u0000${scenario}` : name;
    let nameBytes = this.names.get(key);
    if (nameBytes === undefined) {
      nameBytes = Buffer.from(
        this.scenarioColumn ? `${csvField(name)},${csvField(scenario)}\n` : `${csvField(name)}\n`,
      );
      this.names.set(key, nameBytes);
    }
    if (this.pos + 3 * MAX_NUMBER_BYTES + 8 + nameBytes.length > this.buf.length) this.flush();
    this.putFixed(timestampSec, 6);
    this.buf[this.pos++] = 0x2c; // ,
    this.putFixed(latencyMs, 3);
    const flag = success ? TRUE : FALSE;
    flag.copy(this.buf, this.pos);
    this.pos += flag.length;
    this.putFixed(timestampSec + latencyMs / 1000 - this.startedAtSec, 6);
    this.buf[this.pos++] = 0x2c;
    if (nameBytes.length > this.buf.length - this.pos) {
      this.flush();
      writeSync(this.fd, nameBytes);
    } else {
      nameBytes.copy(this.buf, this.pos);
      this.pos += nameBytes.length;
    }
    this.count++;
  }

  /** Writes what is buffered to the file. */
  flush(): void {
    if (this.pos > 0 && this.fd >= 0) writeSync(this.fd, this.buf, 0, this.pos);
    this.pos = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  /** A fixed-point decimal straight into the buffer; non-finite values become an empty field (NaN). */
  private putFixed(x: number, decimals: number): void {
    if (!Number.isFinite(x)) return;
    const scale = POW10[decimals];
    let scaled = Math.round(Math.abs(x) * scale);
    if (scaled === 0) x = 0;
    if (x < 0) this.buf[this.pos++] = 0x2d; // -
    let intPart = Math.floor(scaled / scale);
    scaled -= intPart * scale;
    let digits = 1;
    for (let v = intPart; v >= 10; v = Math.floor(v / 10)) digits++;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      this.buf[i] = 0x30 + (intPart % 10);
      intPart = Math.floor(intPart / 10);
    }
    this.pos += digits;
    if (decimals === 0) return;
    this.buf[this.pos++] = 0x2e; // .
    for (let i = this.pos + decimals - 1; i >= this.pos; i--) {
      this.buf[i] = 0x30 + (scaled % 10);
      scaled = Math.floor(scaled / 10);
    }
    this.pos += decimals;
  }
}
