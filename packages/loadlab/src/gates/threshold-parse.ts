/**
 * Threshold expressions, k6 style. Syntax (one clear form, k6's tag filter for scoping):
 *
 *   METRIC[{scenario:ID,name:REQUEST}] OP VALUE[UNIT]
 *
 *   p95<100ms            p(95)<100          error_rate<1%       rps>=1000
 *   p99<=2s              avg<50ms           max<1s              success_rate>99%
 *   p95{scenario:order-stress}<10ms        p95{name:POST /orders}<10ms
 *   p99{scenario:order-stress,name:"POST /orders [limit]"}<5ms
 *
 * Metrics: latency p50 p90 p95 p99 med avg (mean) min max, p(N) for N in 0 50 90 95 99 100
 * (units ns, us/µs, ms (default), s, m); error_rate, success_rate (a fraction 0..1 or a
 * percentage with %); rps (bare or /s); requests, failures (counts).
 * Operators: < <= > >= == !=. Whitespace is free. A tag value may be double-quoted (to hold a
 * comma or a brace). `name` matches a request's Name or "Type Name" (e.g. "POST /orders").
 * Unscoped thresholds apply to every scenario, each checked on its own.
 */
import type { LatencyMs } from '../model/result.ts';

export type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type MetricKind = 'latency' | 'error_rate' | 'success_rate' | 'rps' | 'requests' | 'failures';

export interface Threshold {
  expression: string;
  kind: MetricKind;
  /** Canonical metric name: p95, avg, max, error_rate, rps, ... */
  metric: string;
  /** For latency thresholds: the LatencyMs field. */
  stat?: keyof LatencyMs;
  op: Operator;
  /** In the metric's base unit: ms for latency, a fraction for rates, per second for rps. */
  value: number;
  scope: { scenario?: string; name?: string };
}

const LATENCY: Record<string, keyof LatencyMs> = {
  p50: 'p50',
  med: 'p50',
  median: 'p50',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
  avg: 'mean',
  mean: 'mean',
  min: 'min',
  max: 'max',
};
const PERCENTILE: Record<string, keyof LatencyMs> = {
  '0': 'min',
  '50': 'p50',
  '90': 'p90',
  '95': 'p95',
  '99': 'p99',
  '100': 'max',
};
const CANONICAL: Record<keyof LatencyMs, string> = {
  min: 'min',
  mean: 'avg',
  p50: 'p50',
  p90: 'p90',
  p95: 'p95',
  p99: 'p99',
  max: 'max',
};
const TO_MS: Record<string, number> = {
  '': 1,
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
};
const OTHER: Record<string, MetricKind> = {
  error_rate: 'error_rate',
  success_rate: 'success_rate',
  rps: 'rps',
  requests: 'requests',
  failures: 'failures',
};

const HEAD = /^\s*(p\(\s*[0-9.]+\s*\)|[a-z_]+[0-9]*)\s*/i;
const TAIL = /^\s*(<=|>=|==|!=|<|>)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([a-zµμ%/]*)\s*$/i;

function splitTags(body: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of body) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function parseScope(body: string, problems: string[]): Threshold['scope'] {
  const scope: Threshold['scope'] = {};
  for (const part of splitTags(body)) {
    const colon = part.indexOf(':');
    const key = (colon < 0 ? part : part.slice(0, colon)).trim();
    let value = colon < 0 ? '' : part.slice(colon + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (colon < 0 || value === '') problems.push(`tag "${part.trim()}" needs the form key:value`);
    else if (key === 'scenario' || key === 'name') {
      if (scope[key] !== undefined) problems.push(`tag "${key}" given twice`);
      scope[key] = value;
    } else problems.push(`unknown tag "${key}" (use scenario or name)`);
  }
  return scope;
}

/** Finds the closing brace of a tag block (outside quotes); -1 if missing. */
function closingBrace(s: string, from: number): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '"') quoted = !quoted;
    else if (s[i] === '}' && !quoted) return i;
  }
  return -1;
}

/** Parses one expression; every problem found is listed (not just the first). */
export function parseThreshold(expression: string): { threshold?: Threshold; problems: string[] } {
  const problems: string[] = [];
  const head = HEAD.exec(expression);
  if (head === null) return { problems: [`cannot find a metric (e.g. p95<100ms, error_rate<1%, rps>=1000)`] };
  const rawMetric = head[1].replace(/\s+/g, '').toLowerCase();
  let rest = expression.slice(head[0].length);
  let scope: Threshold['scope'] = {};
  let unclosed = false;
  if (rest.startsWith('{')) {
    const end = closingBrace(rest, 1);
    if (end < 0) {
      problems.push('unclosed "{" in the tag filter');
      unclosed = true;
      rest = '';
    } else {
      scope = parseScope(rest.slice(1, end), problems);
      rest = rest.slice(end + 1);
    }
  }
  let kind: MetricKind | undefined;
  let stat: keyof LatencyMs | undefined;
  const pm = /^p\(([0-9.]+)\)$/.exec(rawMetric);
  if (pm !== null) {
    stat = PERCENTILE[String(Number(pm[1]))];
    if (stat === undefined)
      problems.push(`p(${pm[1]}) is not recorded (available: p(0), p(50), p(90), p(95), p(99), p(100))`);
    kind = 'latency';
  } else if (LATENCY[rawMetric] !== undefined) {
    stat = LATENCY[rawMetric];
    kind = 'latency';
  } else if (OTHER[rawMetric] !== undefined) kind = OTHER[rawMetric];
  else {
    problems.push(
      `unknown metric "${head[1]}" (use p50 p90 p95 p99 med avg min max p(N) error_rate success_rate rps requests failures)`,
    );
  }
  const tail = TAIL.exec(rest);
  if (tail === null) {
    if (unclosed) {
      // already reported: the comparison is inside the unclosed tag filter
    } else if (rest.trim() === '') problems.push('missing comparison (e.g. <100ms)');
    else problems.push(`cannot read "${rest.trim()}": expected an operator (< <= > >= == !=) and a number`);
  }
  let value = Number.NaN;
  if (tail !== null && kind !== undefined) {
    const n = Number(tail[2]);
    const unit = tail[3].toLowerCase();
    if (kind === 'latency') {
      const f = TO_MS[unit];
      if (f === undefined) problems.push(`unknown time unit "${unit}" (use ns, us, ms, s, m)`);
      else value = n * f;
    } else if (kind === 'error_rate' || kind === 'success_rate') {
      if (unit === '%') value = n / 100;
      else if (unit !== '')
        problems.push(`${rawMetric} takes a fraction (0.01) or a percentage (1%), not "${unit}"`);
      else if (n < 0 || n > 1)
        problems.push(`${rawMetric} ${n} is outside 0..1: write a fraction (0.01) or a percentage (1%)`);
      else value = n;
    } else if (kind === 'rps') {
      if (unit === '' || unit === '/s') value = n;
      else problems.push(`rps takes a plain number of requests per second, not "${unit}"`);
    } else if (unit !== '') problems.push(`${rawMetric} is a count and takes no unit ("${unit}")`);
    else value = n;
    if (n < 0) problems.push(`negative value ${n}`);
  }
  if (problems.length > 0 || kind === undefined || tail === null) return { problems };
  const metric = kind === 'latency' && stat !== undefined ? CANONICAL[stat] : rawMetric;
  return {
    threshold: {
      expression,
      kind,
      metric,
      ...(stat === undefined ? {} : { stat }),
      op: tail[1] as Operator,
      value,
      scope,
    },
    problems,
  };
}

/** Parses a list; `problems` holds every problem of every expression, each naming its expression. */
export function parseThresholds(list: readonly string[]): { thresholds: Threshold[]; problems: string[] } {
  const thresholds: Threshold[] = [];
  const problems: string[] = [];
  for (const expression of list) {
    const r = parseThreshold(expression);
    if (r.threshold !== undefined) thresholds.push(r.threshold);
    for (const p of r.problems) problems.push(`threshold ${JSON.stringify(expression)}: ${p}`);
  }
  return { thresholds, problems };
}
