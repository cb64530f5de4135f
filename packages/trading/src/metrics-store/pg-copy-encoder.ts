/**
 * Encodes metric rows in PostgreSQL's binary COPY format, for `COPY trading_metrics FROM STDIN
 * (FORMAT binary)` (pg-store.ts). Binary, not text: no timestamp or float formatting on
 * either side (a double is its 8 bytes, so NaN, +-Infinity and every bit of precision
 * survive), and the server parses nothing but the JSON of `labels`.
 *
 * Per row: int16 field count (4), then each field as int32 length + bytes:
 *   time    timestamptz: int64 microseconds since 2000-01-01 UTC
 *   name    text: UTF-8
 *   value   float8: IEEE 754 big-endian
 *   labels  json: the JSON text (UTF-8)
 * `encode*` return the rows only; `copyPayload` adds the file header and trailer, so the
 * rows of several batches can be sent in one COPY.
 *
 * The same rows are refused as by the DuckDB encoder (metric-encoder.ts): names with NUL or
 * 0x1f, times outside +-1e14 epoch ms, values that are not numbers, labels that are not
 * JSON objects: TRD_ERR_INVALID_METRICS naming the row, before anything is queued.
 */
import { bad, isStorableName, labelsJson, MAX_ABS_MS, type MetricColumns } from './metric-encoder.ts';
import type { MetricLabels, MetricRecord } from './metric-record.ts';

/** 2000-01-01T00:00:00Z in epoch microseconds (PostgreSQL's timestamp origin). */
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;
const HEADER = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');
const TRAILER = Buffer.from([0xff, 0xff]);
const NAME_CACHE_MAX = 4096;

export interface PgEncodedBatch {
  readonly rows: number;
  /** The rows' bytes (no header, no trailer). */
  readonly data: Buffer;
}

/** The bytes of one COPY: header, the batches' rows, trailer. */
export function copyPayload(batches: readonly PgEncodedBatch[]): Buffer[] {
  const out: Buffer[] = [HEADER];
  for (const b of batches) out.push(b.data);
  out.push(TRAILER);
  return out;
}

export class PgCopyEncoder {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private off = 0;
  private readonly names = new Map<string, Buffer>();
  private lastLabels: MetricLabels | undefined = undefined;
  private lastJson = '{}';
  private lastJsonBytes = Buffer.from('{}');

  encodeRecords(records: readonly MetricRecord[]): PgEncodedBatch {
    this.off = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      this.row(r.time, r.name, r.value, r.labels, i);
    }
    return this.finish(records.length);
  }

  /** Rows `[start, start + count)` of `cols` (no wrap-around: the caller splits). */
  encodeColumns(cols: MetricColumns, start: number, count: number): PgEncodedBatch {
    this.off = 0;
    for (let i = 0; i < count; i++) {
      const j = start + i;
      this.row(cols.time[j], cols.name[j], cols.value[j], cols.labels[j], j);
    }
    return this.finish(count);
  }

  private finish(rows: number): PgEncodedBatch {
    return { rows, data: Buffer.from(this.buf.subarray(0, this.off)) };
  }

  private row(ms: number, name: string, value: number, labels: MetricLabels | undefined, row: number): void {
    if (typeof ms !== 'number' || !(ms > -MAX_ABS_MS && ms < MAX_ABS_MS)) {
      bad(row, 'time', `${ms} is not epoch milliseconds`);
    }
    if (typeof value !== 'number') bad(row, 'value', `expected a number, got ${typeof value}`);
    const nameBytes = this.name(name, row);
    const json = this.json(labels, row);
    this.reserve(2 + 12 + 4 + nameBytes.length + 12 + 4 + json.length);
    const b = this.buf;
    let o = this.off;
    b.writeInt16BE(4, o);
    o += 2;
    const us = Math.round(ms * 1000) - PG_EPOCH_US;
    const hi = Math.floor(us / TWO_32);
    b.writeInt32BE(8, o);
    b.writeInt32BE(hi, o + 4);
    b.writeUInt32BE(us - hi * TWO_32, o + 8);
    o += 12;
    b.writeInt32BE(nameBytes.length, o);
    nameBytes.copy(b, o + 4);
    o += 4 + nameBytes.length;
    b.writeInt32BE(8, o);
    b.writeDoubleBE(value, o + 4);
    o += 12;
    b.writeInt32BE(json.length, o);
    json.copy(b, o + 4);
    this.off = o + 4 + json.length;
  }

  private reserve(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + bytes));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
  }

  private name(name: string, row: number): Buffer {
    const hit = this.names.get(name);
    if (hit !== undefined) return hit;
    if (!isStorableName(name)) {
      bad(row, 'name', typeof name === 'string' ? 'must not contain NUL or 0x1f' : 'expected a string');
    }
    const bytes = Buffer.from(name, 'utf8');
    if (this.names.size >= NAME_CACHE_MAX) this.names.clear();
    this.names.set(name, bytes);
    return bytes;
  }

  private json(labels: MetricLabels | undefined, row: number): Buffer {
    if (labels === this.lastLabels) return this.lastJsonBytes;
    const json = labelsJson(labels, row);
    this.lastLabels = labels;
    if (json !== this.lastJson) {
      this.lastJson = json;
      this.lastJsonBytes = Buffer.from(json, 'utf8');
    }
    return this.lastJsonBytes;
  }
}
