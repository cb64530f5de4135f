/**
 * k6's metrics and thresholds over a script run.
 *
 * Metrics (k6's names): http_req_duration (trend, ms), http_req_blocked, http_req_connecting,
 * http_req_tls_handshaking, http_req_sending, http_req_waiting, http_req_receiving (trends,
 * ms: ./http-timings.ts), http_req_failed (rate),
 * http_reqs (counter), iterations (counter), iteration_duration (trend, ms), dropped_iterations
 * (counter), checks (rate), data_received, data_sent (counters, bytes), vus, vus_max (gauges:
 * ./vus-series.ts), and the script's own Counter / Gauge / Rate / Trend.
 *
 * Thresholds, k6's shape: `{ 'http_req_duration': ['p(95)<200', 'avg<100'],
 * 'http_req_failed': ['rate<0.01'], 'http_req_duration{name:/orders}': [...],
 * 'checks{scenario:browse}': [{ threshold: 'rate>0.99', abortOnFail: true, delayAbortEval: '5s' }] }`.
 * Aggregations: trend avg|min|max|med|count|p(N); rate rate; counter count|rate; gauge value. Tags:
 * `name` (http_* metrics: the request name) and `scenario` are read from the per-scenario,
 * per-request figures; any other tag (`status`, `method`, `expected_response`, `group`, `url`,
 * `check`, a request's or a custom sample's own) selects a submetric (./submetrics.ts).
 */

import { gaugesFromCounters, mergeGauge } from '../stats/gauge-counters.ts';
import { LatencyRecorder } from '../stats/recorder.ts';
import type { RequestStats } from '../stats/request-stats.ts';
import { NEG_TREND, type SignedTrend, SignedTrendStats } from '../stats/signed-trend.ts';
import { parseDuration } from '../util/duration.ts';
import { HTTP_PHASES } from './http-timings.ts';
import { counterKey, type GaugeState, type MetricKind, trendsFromCounters } from './runtime.ts';
import { submetricKey, subName } from './submetrics.ts';
import { vusGauge } from './vus-series.ts';

export const BUILTIN_METRICS: Readonly<Record<string, MetricKind>> = {
  http_req_duration: 'trend',
  ...Object.fromEntries(HTTP_PHASES.map((m) => [m, 'trend' as const])),
  http_req_failed: 'rate',
  http_reqs: 'counter',
  iterations: 'counter',
  dropped_iterations: 'counter',
  checks: 'rate',
  data_received: 'counter',
  data_sent: 'counter',
  vus: 'gauge',
  vus_max: 'gauge',
  ws_connecting: 'trend',
  ws_session_duration: 'trend',
  ws_ping: 'trend',
  ws_sessions: 'counter',
  ws_msgs_sent: 'counter',
  ws_msgs_received: 'counter',
  group_duration: 'trend',
  iteration_duration: 'trend',
};

/**
 * k6's sub-metric of every run, shown under http_req_duration in its summary: the requests
 * whose status was expected (recorded by every script run, thresholds or not).
 */
export const EXPECTED_DURATION = 'http_req_duration{expected_response:true}';

/** Built-in metrics whose samples carry tags a threshold can select (./submetrics.ts). */
const TAGGED = new Set<string>([
  'http_req_duration',
  ...HTTP_PHASES,
  'http_req_failed',
  'http_reqs',
  'checks',
  'group_duration',
]);

/** http_* metrics whose `name` tag is read from the per-request-name figures (not a submetric). */
const NAMED = new Set(['http_req_duration', 'http_req_failed', 'http_reqs']);

/**
 * Shown in the summary only when the script used them (or a threshold names them), as k6
 * shows only the metrics that had samples: no `checks` line without a check().
 */
const OPTIONAL = new Set([
  'checks',
  'dropped_iterations',
  'iteration_duration',
  'ws_connecting',
  'ws_session_duration',
  'ws_ping',
  'ws_sessions',
  'ws_msgs_sent',
  'ws_msgs_received',
  'group_duration',
  // absent in a report merged from runs that did not record them
  ...HTTP_PHASES,
  'data_sent',
  'vus',
  'vus_max',
]);

const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

export interface K6Threshold {
  /** The key as written, e.g. 'http_req_duration{name:/orders}'. */
  key: string;
  source: string;
  metric: string;
  kind: MetricKind;
  /**
   * `scenario` and (http_*) `name` are read from the figures kept per scenario and per request
   * name; any other tag makes the threshold a submetric, `sub` its key (./submetrics.ts).
   */
  tags: { name?: string; scenario?: string; sub?: string };
  agg: string;
  /** For p(N): N. */
  pct?: number;
  op: '<' | '<=' | '>' | '>=' | '==' | '!=';
  value: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
}

/** A trend's aggregations (thresholds, summaryTrendStats); group 2 is p(N)'s N. */
export const TREND_STAT = /^(avg|min|max|med|count|p\((\d+(?:\.\d+)?)\))$/;

const AGGS: Record<MetricKind, RegExp> = {
  trend: TREND_STAT,
  rate: /^(rate)$/,
  counter: /^(count|rate)$/,
  gauge: /^(value)$/,
};
const EXPR = /^\s*([a-z]+(?:\(\s*\d+(?:\.\d+)?\s*\))?)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** k6's built-in metrics the lab does not record: named as such (and why), not as unknown. */
const K6_NOT_MEASURED: ReadonlyMap<string, string> = new Map([
  ['grpc_req_duration', 'the lab has no gRPC client'],
  ['grpc_streams', 'the lab has no gRPC client'],
  ['grpc_streams_msgs_sent', 'the lab has no gRPC client'],
  ['grpc_streams_msgs_received', 'the lab has no gRPC client'],
]);

const unquote = (x: string) => x.trim().replace(/^["']+|["']+$/g, '');

/** Parses options.thresholds (object form); every problem names the threshold. */
export function parseK6Thresholds(
  raw: unknown,
  customMetrics: ReadonlyMap<string, MetricKind>,
  scenarioNames: readonly string[],
): { thresholds: K6Threshold[]; problems: string[] } {
  const thresholds: K6Threshold[] = [];
  const problems: string[] = [];
  if (raw === undefined) return { thresholds, problems };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { thresholds, problems: ['options.thresholds must be an object { metric: [expressions] }'] };
  for (const [key, list] of Object.entries(raw as Record<string, unknown>)) {
    const where = `options.thresholds['${key}']`;
    const m = /^([A-Za-z_][A-Za-z0-9_.-]*)(?:\{(.*)\})?$/.exec(key);
    if (m === null) {
      problems.push(`${where}: not a metric name with optional {tag:value}`);
      continue;
    }
    const metric = m[1];
    const kind = BUILTIN_METRICS[metric] ?? customMetrics.get(metric);
    if (kind === undefined) {
      const known = [...Object.keys(BUILTIN_METRICS), ...customMetrics.keys()].join(', ');
      const why = K6_NOT_MEASURED.get(metric);
      problems.push(
        why !== undefined
          ? `${where}: k6's '${metric}' is not measured here${why === '' ? '' : ` (${why})`} (known: ${known})`
          : `${where}: unknown metric '${metric}' (known: ${known})`,
      );
      continue;
    }
    const tags: K6Threshold['tags'] = {};
    const all: Record<string, string> = {};
    let subTag: string | undefined;
    for (const part of (m[2] ?? '').split(',').filter((x) => x.trim() !== '')) {
      const i = part.indexOf(':');
      // as k6: spaces, then quotes around a key or value are dropped (name:"/orders" is name:/orders)
      const k = unquote(part.slice(0, i));
      const v = unquote(part.slice(i + 1));
      if (i <= 0 || v === '') {
        problems.push(`${where}: tag '${part}' must be key:value`);
        continue;
      }
      all[k] = v;
      if (k === 'scenario') {
        if (!scenarioNames.includes(v))
          problems.push(`${where}: no scenario '${v}' (scenarios: ${scenarioNames.join(', ')})`);
        tags.scenario = v;
      } else if (k === 'name' && NAMED.has(metric)) tags.name = v;
      else subTag ??= k;
    }
    if (subTag !== undefined) {
      if (TAGGED.has(metric) || (customMetrics.has(metric) && kind !== 'gauge'))
        tags.sub = submetricKey(metric, all) ?? undefined;
      else
        problems.push(
          `${where}: tag '${subTag}' is not recorded on ${metric} (only scenario${NAMED.has(metric) ? ' and name' : ''}; other tags are kept on ${[...TAGGED].join(', ')} and custom counters, rates and trends)`,
        );
    }
    const items = Array.isArray(list) ? list : [list];
    items.forEach((item, n) => {
      let source: unknown = item;
      let abortOnFail = false;
      let delay = 0;
      if (item !== null && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        source = o.threshold;
        abortOnFail = o.abortOnFail === true;
        if (o.abortOnFail !== undefined && typeof o.abortOnFail !== 'boolean')
          problems.push(`${where}[${n}].abortOnFail must be true or false`);
        if (abortOnFail && metric === 'dropped_iterations')
          problems.push(
            `${where}[${n}]: abortOnFail is not watched on dropped_iterations (counted at the end of the run); use it without abortOnFail`,
          );
        if (o.delayAbortEval !== undefined) {
          delay = typeof o.delayAbortEval === 'string' ? parseDuration(o.delayAbortEval) : Number.NaN;
          if (Number.isNaN(delay)) {
            problems.push(`${where}[${n}].delayAbortEval must be a duration like '10s'`);
            delay = 0;
          }
        }
        for (const k of Object.keys(o))
          if (!['threshold', 'abortOnFail', 'delayAbortEval'].includes(k))
            problems.push(`${where}[${n}]: unknown key '${k}' (use threshold, abortOnFail, delayAbortEval)`);
      }
      if (typeof source !== 'string') {
        problems.push(
          `${where}[${n}]: expected an expression like 'p(95)<200' or { threshold, abortOnFail }`,
        );
        return;
      }
      const e = EXPR.exec(source);
      const agg = e?.[1].replace(/\s+/g, '');
      const am = agg === undefined ? null : AGGS[kind].exec(agg);
      if (e === null || agg === undefined || am === null) {
        const hint =
          kind === 'trend'
            ? "avg, min, max, med, count, p(N), e.g. 'p(95)<200'"
            : kind === 'rate'
              ? "rate, e.g. 'rate<0.01'"
              : kind === 'gauge'
                ? "value, e.g. 'value<100'"
                : "count or rate, e.g. 'count>100'";
        problems.push(`${where}: '${source}' is not a threshold for a ${kind} (use ${hint})`);
        return;
      }
      const pct = am[2] === undefined ? undefined : Number(am[2]);
      if (pct !== undefined && pct > 100) problems.push(`${where}: '${source}': a percentile is at most 100`);
      thresholds.push({
        key,
        source,
        metric,
        kind,
        tags,
        agg: pct === undefined ? agg : 'p',
        pct,
        op: e[2] as K6Threshold['op'],
        value: Number(e[3]),
        abortOnFail,
        delayAbortEvalMs: delay,
      });
    });
  }
  return { thresholds, problems };
}

/** One scenario's (or the live view's) raw material. */
export interface MetricPart {
  scenario: string;
  stats: RequestStats;
  counters: Record<string, number>;
  iterations: number;
  dropped: number;
}

export interface TrendValues {
  avg: number;
  min: number;
  med: number;
  max: number;
  'p(90)': number;
  'p(95)': number;
  'p(99)': number;
  count: number;
}

/** k6's end-of-test metrics (the --json "metrics" object and the console summary). */
export type MetricValues =
  | { type: 'trend'; values: TrendValues }
  | { type: 'rate'; values: { rate: number; passes: number; fails: number } }
  | { type: 'counter'; values: { count: number; rate: number } }
  | { type: 'gauge'; values: { value: number; min: number; max: number } };

export class MetricView {
  constructor(
    readonly parts: readonly MetricPart[],
    readonly durationSec: number,
  ) {}

  private pick(scenario?: string): readonly MetricPart[] {
    return scenario === undefined ? this.parts : this.parts.filter((p) => p.scenario === scenario);
  }

  private counter(key: string, scenario?: string): number {
    return this.pick(scenario).reduce((a, p) => a + (p.counters[key] ?? 0), 0);
  }

  /** The samples of a trend, µs: those >= 0, and the magnitudes of the negative ones (stats/signed-trend.ts). */
  trend(metric: string, tags: K6Threshold['tags'] = {}): SignedTrend {
    const pos = new LatencyRecorder();
    const neg = new LatencyRecorder();
    for (const p of this.pick(tags.scenario)) {
      if (metric === 'http_req_duration' && tags.sub === undefined) {
        for (const e of p.stats.entries)
          if (HTTP_METHODS.has(e.type) && (tags.name === undefined || e.name === tags.name))
            pos.add(e.latency);
        continue;
      }
      const name = tags.sub !== undefined ? subName(tags.sub) : metric;
      const all = trendsFromCounters(p.counters);
      const t = all.get(name);
      if (t !== undefined) pos.add(t);
      const n = all.get(name + NEG_TREND);
      if (n !== undefined) neg.add(n);
    }
    return { pos, neg };
  }

  private http(tags: K6Threshold['tags']): { reqs: number; failed: number; bytes: number } {
    const out = { reqs: 0, failed: 0, bytes: 0 };
    for (const p of this.pick(tags.scenario))
      for (const e of p.stats.entries)
        if (HTTP_METHODS.has(e.type) && (tags.name === undefined || e.name === tags.name)) {
          out.reqs += e.requests;
          out.failed += e.failures;
          out.bytes += e.bytes;
        }
    return out;
  }

  value(metric: string, kind: MetricKind, tags: K6Threshold['tags'] = {}): MetricValues {
    const per = (n: number) => (this.durationSec > 0 ? n / this.durationSec : 0);
    if (kind === 'trend') {
      const t = new SignedTrendStats(this.trend(metric, tags));
      const v: TrendValues = {
        avg: t.avg,
        min: t.min,
        med: t.percentile(50),
        max: t.max,
        'p(90)': t.percentile(90),
        'p(95)': t.percentile(95),
        'p(99)': t.percentile(99),
        count: t.count,
      };
      t.destroy();
      return { type: 'trend', values: v };
    }
    if (kind === 'rate') {
      let passes: number;
      let total: number;
      if (tags.sub !== undefined) {
        passes = this.counter(counterKey.ratePass(subName(tags.sub)), tags.scenario);
        total = this.counter(counterKey.rateTotal(subName(tags.sub)), tags.scenario);
      } else if (metric === 'http_req_failed') {
        const h = this.http(tags);
        passes = h.failed;
        total = h.reqs;
      } else {
        passes = this.counter(counterKey.ratePass(metric), tags.scenario);
        total = this.counter(counterKey.rateTotal(metric), tags.scenario);
      }
      return {
        type: 'rate',
        values: { rate: total === 0 ? 0 : passes / total, passes, fails: total - passes },
      };
    }
    if (metric === 'vus' || metric === 'vus_max') {
      const g = vusGauge(metric, this.pick(tags.scenario));
      return { type: 'gauge', values: { value: g?.value ?? 0, min: g?.min ?? 0, max: g?.max ?? 0 } };
    }
    if (kind === 'gauge') {
      let g: GaugeState | undefined;
      for (const p of this.pick(tags.scenario)) {
        const x = gaugesFromCounters(p.counters).get(metric);
        if (x !== undefined) g = mergeGauge(g, x);
      }
      return { type: 'gauge', values: { value: g?.value ?? 0, min: g?.min ?? 0, max: g?.max ?? 0 } };
    }
    let count: number;
    if (tags.sub !== undefined) count = this.counter(counterKey.counter(subName(tags.sub)), tags.scenario);
    else if (metric === 'http_reqs') count = this.http(tags).reqs;
    else if (metric === 'data_received') count = this.http(tags).bytes;
    else if (metric === 'iterations') count = this.pick(tags.scenario).reduce((a, p) => a + p.iterations, 0);
    else if (metric === 'dropped_iterations')
      count = this.pick(tags.scenario).reduce((a, p) => a + p.dropped, 0);
    else count = this.counter(counterKey.counter(metric), tags.scenario);
    return { type: 'counter', values: { count, rate: Math.round(per(count) * 1000) / 1000 } };
  }

  /** The figure a threshold compares. */
  actual(t: K6Threshold): number {
    if (t.kind === 'trend' && t.agg === 'p') {
      const st = new SignedTrendStats(this.trend(t.metric, t.tags));
      const v = st.percentile(t.pct!);
      st.destroy();
      return v;
    }
    const mv = this.value(t.metric, t.kind, t.tags).values as Record<string, number>;
    return mv[t.agg] ?? Number.NaN;
  }
}

export interface K6ThresholdResult {
  key: string;
  source: string;
  actual: number;
  pass: boolean;
  abortOnFail: boolean;
}

export function compare(actual: number, op: K6Threshold['op'], value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
      return actual === value;
    default:
      return actual !== value;
  }
}

export function evaluateK6(view: MetricView, thresholds: readonly K6Threshold[]): K6ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = view.actual(t);
    return {
      key: t.key,
      source: t.source,
      actual,
      pass: compare(actual, t.op, t.value),
      abortOnFail: t.abortOnFail,
    };
  });
}

/**
 * The metrics object of k6's summary: every built-in and custom metric, the optional built-in
 * ones (checks, dropped_iterations, groups, ws) when they had samples or `withThresholds` names them,
 * and, as k6 shows them, the submetrics that `thresholds` keys name (`http_req_duration{name:login}`).
 */
/**
 * Whether the script's own metric had a sample: a Counter's key exists once add() ran (add(0)
 * too, as k6 observes it), a Rate's total, a Trend's histogram, a Gauge's per-thread keys.
 */
function customObserved(name: string, kind: MetricKind, parts: readonly MetricPart[]): boolean {
  const prefix =
    kind === 'counter'
      ? `metric:counter:${name}`
      : kind === 'rate'
        ? `metric:rate:${name}:total`
        : kind === 'gauge'
          ? `gauge:${name}:`
          : `trend:${name}:`;
  const exact = kind === 'counter' || kind === 'rate';
  // a Trend's negative samples are kept in its companion (stats/signed-trend.ts)
  const neg = `trend:${name}${NEG_TREND}:`;
  return parts.some((p) =>
    exact
      ? p.counters[prefix] !== undefined
      : Object.keys(p.counters).some((k) => k.startsWith(prefix) || (kind === 'trend' && k.startsWith(neg))),
  );
}

export function allMetrics(
  view: MetricView,
  custom: ReadonlyMap<string, MetricKind>,
  withThresholds: Iterable<string> = [],
  thresholds: readonly Pick<K6Threshold, 'key' | 'metric' | 'kind' | 'tags'>[] = [],
): Record<string, MetricValues> {
  const out: Record<string, MetricValues> = {};
  const named = new Set(withThresholds);
  for (const [name, kind] of [...Object.entries(BUILTIN_METRICS), ...custom]) {
    const v = view.value(name, kind);
    const used =
      v.type === 'trend' || v.type === 'counter'
        ? v.values.count > 0
        : v.type === 'rate'
          ? v.values.passes + v.values.fails > 0
          : name === 'vus' || name === 'vus_max'
            ? vusGauge(name, view.parts) !== undefined
            : true;
    if (OPTIONAL.has(name) && !used && !named.has(name)) continue;
    // a custom metric never given a sample is left out too, as k6 shows only observed metrics
    if (custom.has(name) && !named.has(name) && !customObserved(name, kind, view.parts)) continue;
    out[name] = v;
  }
  // as k6 shows it, when the run recorded it (an older report merged has not)
  const expected = view.value('http_req_duration', 'trend', { sub: EXPECTED_DURATION });
  if (expected.type === 'trend' && expected.values.count > 0) out[EXPECTED_DURATION] = expected;
  for (const t of thresholds)
    if (t.key !== t.metric && out[t.key] === undefined) out[t.key] = view.value(t.metric, t.kind, t.tags);
  return out;
}
