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
 * Each batch is one Buffer holding a whole COPY payload (header, rows, trailer): one batch is
 * sent as it is; `copyPayload` joins several into one COPY as views of their buffers (no
 * copy). Rows whose labels equal the last row's reuse its JSON bytes (labels-json.ts).
 *
 * The same rows are refused as by the DuckDB encoder (metric-encoder.ts): names with NUL or
 * 0x1f, times outside +-1e14 epoch ms, values that are not numbers, labels that are not
 * JSON objects: TRD_ERR_INVALID_METRICS naming the row, before anything is queued.
 */
import { bad, LabelsJsonCache } from './labels-json.ts';
import { isStorableName, MAX_ABS_MS, type MetricColumns } from './metric-encoder.ts';
import type { MetricLabels, MetricRecord } from './metric-record.ts';

/** 2000-01-01T00:00:00Z in epoch microseconds (PostgreSQL's timestamp origin). */
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;
const HEADER = Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1');
/** The binary COPY header's length: a payload's first row starts there. */
export const HEADER_BYTES = HEADER.length;
const TRAILER_BYTES = 2; // int16 -1
const NAME_CACHE_MAX = 4096;

export interface PgEncodedBatch {
  readonly rows: number;
  /** A whole COPY payload: header, the rows, trailer. */
  readonly data: Buffer;
}

/** The bytes of one COPY of these batches: the header once, every batch's rows, the trailer once. */
export function copyPayload(batches: readonly PgEncodedBatch[]): Buffer[] {
  if (batches.length === 1) return [batches[0].data];
  const last = batches.length - 1;
  return batches.map((b, i) =>
    b.data.subarray(i === 0 ? 0 : HEADER.length, i === last ? b.data.length : b.data.length - TRAILER_BYTES),
  );
}

export class PgCopyEncoder {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private off = 0;
  private readonly names = new Map<string, Uint8Array>();
  private readonly labels = new LabelsJsonCache();
  private lastJson = '';
  private lastJsonField: Uint8Array = new Uint8Array(0);

  encodeRecords(records: readonly MetricRecord[]): PgEncodedBatch {
    this.start();
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      this.row(r.time, r.name, r.value, r.labels, i);
    }
    return this.finish(records.length);
  }

  /** Rows `[start, start + count)` of `cols` (no wrap-around: the caller splits). */
  encodeColumns(cols: MetricColumns, start: number, count: number): PgEncodedBatch {
    this.start();
    for (let i = 0; i < count; i++) {
      const j = start + i;
      this.row(cols.time[j], cols.name[j], cols.value[j], cols.labels[j], j);
    }
    return this.finish(count);
  }

  private start(): void {
    HEADER.copy(this.buf, 0);
    this.off = HEADER.length;
  }

  private finish(rows: number): PgEncodedBatch {
    this.reserve(TRAILER_BYTES);
    this.buf.writeInt16BE(-1, this.off);
    this.off += TRAILER_BYTES;
    return { rows, data: Buffer.from(this.buf.subarray(0, this.off)) };
  }

  private row(ms: number, name: string, value: number, labels: MetricLabels | undefined, row: number): void {
    if (typeof ms !== 'number' || !(ms > -MAX_ABS_MS && ms < MAX_ABS_MS)) {
      bad(row, 'time', `${ms} is not epoch milliseconds`);
    }
    if (typeof value !== 'number') bad(row, 'value', `expected a number, got ${typeof value}`);
    const nameField = this.name(name, row);
    const labelsField = this.json(labels, row);
    this.reserve(6 + 8 + nameField.length + 8 + labelsField.length);
    const b = this.buf;
    const v = this.view;
    let o = this.off;
    // int16 4 fields; int32 8 (the time's length)
    v.setInt32(o, 0x0004_0000);
    v.setInt16(o + 4, 8);
    const us = Math.round(ms * 1000) - PG_EPOCH_US;
    const hi = Math.floor(us / TWO_32);
    v.setInt32(o + 6, hi);
    v.setUint32(o + 10, us - hi * TWO_32);
    o = put(b, o + 14, nameField); // name's length and bytes, then the value's length (8)
    v.setFloat64(o, value);
    this.off = put(b, o + 8, labelsField);
  }

  private reserve(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + bytes));
    this.buf.copy(next, 0, 0, this.off);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  /** The name field as written: int32 length, UTF-8 bytes, then the value's int32 length (8). */
  private name(name: string, row: number): Uint8Array {
    const hit = this.names.get(name);
    if (hit !== undefined) return hit;
    if (!isStorableName(name)) {
      bad(row, 'name', typeof name === 'string' ? 'must not contain NUL or 0x1f' : 'expected a string');
    }
    const bytes = Buffer.from(name, 'utf8');
    const field = Buffer.allocUnsafe(4 + bytes.length + 4);
    field.writeInt32BE(bytes.length, 0);
    bytes.copy(field, 4);
    field.writeInt32BE(8, 4 + bytes.length);
    if (this.names.size >= NAME_CACHE_MAX) this.names.clear();
    this.names.set(name, field);
    return field;
  }

  /** The labels field as written: int32 length, then the JSON text's UTF-8 bytes. */
  private json(labels: MetricLabels | undefined, row: number): Uint8Array {
    const json = this.labels.json(labels, row);
    if (json !== this.lastJson) {
      this.lastJson = json;
      const bytes = Buffer.from(json, 'utf8');
      const field = Buffer.allocUnsafe(4 + bytes.length);
      field.writeInt32BE(bytes.length, 0);
      bytes.copy(field, 4);
      this.lastJsonField = field;
    }
    return this.lastJsonField;
  }
}

/** Copies `src` into `dst` at `at`; the offset after it. A loop for the short fields (cheaper than a call into `set`). */
function put(dst: Uint8Array, at: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 64) dst.set(src, at);
  else for (let i = 0; i < n; i++) dst[at + i] = src[i];
  return at + n;
}
