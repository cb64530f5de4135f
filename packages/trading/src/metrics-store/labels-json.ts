/**
 * The JSON text of a record's labels, remembered between rows. Callers either reuse one labels
 * object per series or build an equal object per record (a Python loop's `labels={...}` per
 * `MetricRecord`); both hit here without `JSON.stringify`: a row whose labels hold the same
 * string values under the same keys, in the same order, as the last row's gets the last text.
 * The comparison is against a copy of the last keys and values, so mutating a labels object
 * between rows is seen. Anything else (non-string values, objects with a prototype other than
 * Object's or null) goes through `labelsJson` every time.
 *
 * Also here: `labelsJson` (the one labels serialiser of both stores' encoders) and `bad`, the
 * coded error naming a row and field that both encoders throw.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';
import { type MetricLabels, NOT_TEXT } from './metric-record.ts';

const MAX_KEYS = 16;

export class LabelsJsonCache {
  private readonly keys: string[] = [];
  private readonly values: string[] = [];
  /** -1: nothing cached (the last labels were not plain string-valued). */
  private count = -1;
  private text = '{}';

  /** The JSON text of `labels` (`{}` when absent); a coded error naming `row` when not an object of JSON. */
  json(labels: MetricLabels | undefined, row: number): string {
    if (labels == null) return '{}';
    if (this.count >= 0 && this.same(labels)) return this.text;
    const text = labelsJson(labels, row);
    this.remember(labels);
    this.text = text;
    return text;
  }

  private same(labels: MetricLabels): boolean {
    const proto = Object.getPrototypeOf(labels);
    if (proto !== Object.prototype && proto !== null) return false;
    const { keys, values } = this;
    let i = 0;
    for (const k in labels) {
      if (i >= this.count || k !== keys[i] || labels[k] !== values[i]) return false;
      i++;
    }
    return i === this.count;
  }

  private remember(labels: MetricLabels): void {
    this.count = -1;
    const proto = Object.getPrototypeOf(labels);
    if (proto !== Object.prototype && proto !== null) return;
    let i = 0;
    for (const k in labels) {
      const v = labels[k];
      if (i >= MAX_KEYS || typeof v !== 'string' || !Object.hasOwn(labels, k)) return;
      this.keys[i] = k;
      this.values[i] = v;
      i++;
    }
    this.count = i;
  }
}

/** A record's labels as the JSON text the stores keep (`{}` when absent); a coded error naming the row otherwise. */
export function labelsJson(labels: MetricLabels | undefined, row: number): string {
  if (labels == null) return '{}';
  let json: string | undefined;
  try {
    json = JSON.stringify(labels);
  } catch (err) {
    bad(row, 'labels', `not serialisable: ${(err as Error).message}`);
  }
  if (typeof json !== 'string' || json[0] !== '{') bad(row, 'labels', 'expected an object of strings');
  // As POST /api/metrics refuses them (metric-record.ts' NOT_TEXT): a NUL or an unpaired
  // surrogate is stored by PostgreSQL's json column and then fails every `labels->>` over the
  // table, and DuckDB's UTF-8 would get U+FFFD in its place. Checked here, on a new labels
  // text only, so records made in code (MetricRecord.create) are held to the same rule.
  for (const k in labels) {
    const v = (labels as Record<string, unknown>)[k];
    if (NOT_TEXT.test(k) || (typeof v === 'string' && NOT_TEXT.test(v)))
      bad(row, `labels.${k}`, 'must not contain NUL or an unpaired surrogate');
  }
  return json;
}

/** A coded INVALID_METRICS error naming the row and field, e.g. `[3].value: ...`. */
export function bad(row: number, field: string, message: string): never {
  const path = `[${row}].${field}`;
  throw new TradingError(TradingErrorCode.INVALID_METRICS, `${path}: ${message}`, path);
}
