/**
 * One row of the metrics store (`trading_metrics`): the Python library's `MetricRecord`, plus the
 * validation of untrusted batches (the future `POST /api/metrics` body).
 *
 * Python mapping: `MetricRecord.new(name, value, labels={...})` -> `MetricRecord.create(name,
 * value, labels?, time?)` (`MetricRecord.new` is kept as an alias). `time` is epoch
 * milliseconds (fractional allowed, stored with microsecond precision); a `Date` is accepted
 * and converted. On the wire a record carries `timestamp` in epoch SECONDS (a float, like
 * Python's `time.time()`), which `parseMetricBatch` converts.
 */
import { cutText } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';

export type MetricLabels = Readonly<Record<string, string>>;

export interface MetricRecord {
  /** Epoch milliseconds (may be fractional). */
  readonly time: number;
  readonly name: string;
  readonly value: number;
  readonly labels: MetricLabels;
}

/** Shared, frozen "no labels": records without labels all point here (no allocation). */
export const NO_LABELS: MetricLabels = Object.freeze({});

function create(name: string, value: number, labels?: MetricLabels, time?: number | Date): MetricRecord {
  const t = time === undefined ? Date.now() : typeof time === 'number' ? time : time.getTime();
  return { time: t, name, value, labels: labels ?? NO_LABELS };
}

export const MetricRecord = {
  create,
  /** The Python spelling (`MetricRecord.new(...)`); same as `create`. */
  new: create,
} as const;

/** Limits applied to untrusted input. */
export interface MetricBatchLimits {
  maxRecords: number;
  maxNameLength: number;
  maxLabels: number;
  maxLabelKeyLength: number;
  maxLabelValueLength: number;
  /** At most this many issues are listed (the total is always counted). */
  maxIssues: number;
}

export const DEFAULT_METRIC_BATCH_LIMITS: Readonly<MetricBatchLimits> = Object.freeze({
  maxRecords: 100_000,
  maxNameLength: 256,
  maxLabels: 64,
  maxLabelKeyLength: 128,
  maxLabelValueLength: 1024,
  maxIssues: 1000,
});

export interface MetricIssue {
  /** JSON-path-like location, e.g. `[3].labels.env` (`$` is the whole body). */
  readonly path: string;
  readonly message: string;
}

/** TRD_ERR_INVALID_METRICS (HTTP 400) with every problem found, each with its field path. */
export class InvalidMetricsError extends TradingError {
  readonly issues: readonly MetricIssue[];
  readonly issueCount: number;
  constructor(issues: readonly MetricIssue[], issueCount: number) {
    const shown = issues.slice(0, 20).map((i) => `${i.path}: ${i.message}`);
    const more = issueCount > shown.length ? `; ... and ${issueCount - shown.length} more` : '';
    super(
      TradingErrorCode.INVALID_METRICS,
      `invalid metrics batch (${issueCount} problem${issueCount === 1 ? '' : 's'}): ${shown.join('; ')}${more}`,
      issues[0]?.path,
    );
    this.name = 'InvalidMetricsError';
    this.issues = issues;
    this.issueCount = issueCount;
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARS = /[\x00-\x1f\x7f]/;
/**
 * What a label name or value may not hold: NUL or an unpaired surrogate. JSON.stringify writes
 * them as `\u0000` / `\ud800` escapes, which PostgreSQL's json column stores but its `->>` then
 * refuses (one such row fails every `labels->>'symbol'` query over the table).
 */
export const NOT_TEXT = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const KNOWN_FIELDS = new Set(['name', 'value', 'labels', 'timestamp']);
/** Epoch seconds accepted: (0, year 3000). A value above is most likely milliseconds. */
const MAX_EPOCH_SECONDS = 32_503_680_000;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  return typeof x === 'string' ? 'a string' : typeof x;
}

/**
 * Validates an untrusted batch (`[{name, value, labels?, timestamp?}, ...]`) and returns
 * the records, or throws one InvalidMetricsError listing every problem. Unknown fields are
 * problems too (a typo like `timestmp` must not silently become "now").
 * `now` (epoch ms) is used for records without a timestamp.
 */
export function parseMetricBatch(
  input: unknown,
  now: number = Date.now(),
  limits: Readonly<MetricBatchLimits> = DEFAULT_METRIC_BATCH_LIMITS,
): MetricRecord[] {
  const issues: MetricIssue[] = [];
  let issueCount = 0;
  const report = (path: string, message: string): void => {
    issueCount++;
    if (issues.length < limits.maxIssues) issues.push({ path, message });
  };
  if (!Array.isArray(input)) {
    report('$', `expected an array of metric records, got ${describe(input)}`);
    throw new InvalidMetricsError(issues, issueCount);
  }
  if (input.length > limits.maxRecords) {
    report('$', `too many records: ${input.length} > ${limits.maxRecords}`);
    throw new InvalidMetricsError(issues, issueCount);
  }
  const out: MetricRecord[] = new Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const item: unknown = input[i];
    const at = `[${i}]`;
    if (!isPlainObject(item)) {
      report(at, `expected an object, got ${describe(item)}`);
      continue;
    }
    const before = issueCount;
    for (const key of Object.keys(item)) {
      if (!KNOWN_FIELDS.has(key))
        // names are cut in the paths: a 500,000-character one made a 1 MB answer
        report(`${at}.${cutText(key)}`, 'unknown field (allowed: name, value, labels, timestamp)');
    }
    const { name, value, labels, timestamp } = item;
    if (typeof name !== 'string') report(`${at}.name`, `required string, got ${describe(name)}`);
    else if (name.length === 0) report(`${at}.name`, 'must not be empty');
    else if (name.length > limits.maxNameLength) report(`${at}.name`, `longer than ${limits.maxNameLength}`);
    else if (CONTROL_CHARS.test(name)) report(`${at}.name`, 'must not contain control characters');
    // UTF-8 has no unpaired surrogate: stored, the name became U+FFFD, another name than the one sent
    else if (NOT_TEXT.test(name)) report(`${at}.name`, 'must not contain an unpaired surrogate');
    if (typeof value !== 'number') report(`${at}.value`, `required number, got ${describe(value)}`);
    else if (!Number.isFinite(value)) report(`${at}.value`, 'must be finite');
    let time = now;
    if (timestamp !== undefined) {
      if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) {
        report(`${at}.timestamp`, `must be a finite number of epoch seconds, got ${describe(timestamp)}`);
      } else if (timestamp <= 0 || timestamp >= MAX_EPOCH_SECONDS) {
        const hint = timestamp >= MAX_EPOCH_SECONDS ? ' (milliseconds? expected seconds)' : '';
        report(`${at}.timestamp`, `${timestamp} is out of range for epoch seconds${hint}`);
      } else time = timestamp * 1000;
    }
    let lbl: MetricLabels = NO_LABELS;
    if (labels !== undefined) {
      if (!isPlainObject(labels))
        report(`${at}.labels`, `expected an object of strings, got ${describe(labels)}`);
      else {
        const keys = Object.keys(labels);
        if (keys.length > limits.maxLabels) report(`${at}.labels`, `more than ${limits.maxLabels} labels`);
        for (const k of keys) {
          const v = labels[k];
          const path = `${at}.labels.${cutText(k)}`;
          if (k.length === 0) report(`${at}.labels`, 'label names must not be empty');
          else if (k.length > limits.maxLabelKeyLength)
            report(path, `label name longer than ${limits.maxLabelKeyLength}`);
          else if (NOT_TEXT.test(k))
            report(`${at}.labels`, 'label names must not contain NUL or an unpaired surrogate');
          if (typeof v !== 'string') report(path, `expected a string, got ${describe(v)}`);
          else if (v.length > limits.maxLabelValueLength)
            report(path, `longer than ${limits.maxLabelValueLength}`);
          else if (NOT_TEXT.test(v)) report(path, 'must not contain NUL or an unpaired surrogate');
        }
        if (keys.length > 0) lbl = labels as MetricLabels;
      }
    }
    if (issueCount === before) out[i] = { time, name: name as string, value: value as number, labels: lbl };
  }
  if (issueCount > 0) throw new InvalidMetricsError(issues, issueCount);
  return out;
}
