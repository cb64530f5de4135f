/**
 * The HTML report's charts as Vega-Lite specs: latency distribution, latency by percentile
 * (points from percentile-curve.ts), latency percentiles over time, throughput and errors over
 * time, and the resource watch (CPU and RSS per target process against the published limits).
 * Rendered to inline SVG by charts.ts.
 */
import type { ScenarioResult } from '../model/result.ts';
import { COLORS, type TopLevelSpec } from './charts.ts';
import { curveXMax, percentileCurvePoints } from './percentile-curve.ts';

const SIZE = { width: 520, height: 220 };
const TIME_X = { field: 't', type: 'temporal', title: 'Time', axis: { format: '%H:%M:%S' } } as const;

/** Bins of a latency histogram (e.g. from the generator's HdrHistogram), in ms. */
export interface LatencyBin {
  start: number;
  end: number;
  count: number;
}

export function histogramSpec(bins: readonly LatencyBin[]): TopLevelSpec {
  return {
    ...SIZE,
    title: 'Latency distribution',
    data: { values: [...bins] },
    mark: { type: 'rect', color: COLORS.blue, stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'start', type: 'quantitative', title: 'Latency (ms)', scale: { zero: false } },
      x2: { field: 'end' },
      y: { field: 'count', type: 'quantitative', title: 'Requests' },
      y2: { datum: 0 },
    },
  } as TopLevelSpec;
}

/** Without a histogram: the latency at each recorded percentile, per request name. */
export function percentileSpectrumSpec(s: ScenarioResult): TopLevelSpec {
  const order = ['min', 'p50', 'p90', 'p95', 'p99', 'max'] as const;
  const values = s.entries.flatMap((e) =>
    order.map((p) => ({ percentile: p, ms: e.latency_ms[p], name: `${e.type} ${e.name}`.trim() })),
  );
  return {
    ...SIZE,
    title: 'Latency distribution (by percentile)',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'percentile',
        type: 'ordinal',
        sort: [...order],
        title: 'Percentile',
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'name' },
      y: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' },
      color: { field: 'name', type: 'nominal', title: 'Request' },
    },
  } as TopLevelSpec;
}

/** Axis label of x = 10^k: 0%, 90%, 99%, 99.9%, … */
function decadeLabel(k: number): string {
  return k === 0 ? '0%' : `${(100 - 100 / 10 ** k).toFixed(Math.max(0, k - 2))}%`;
}

/**
 * The latency-by-percentile curve, wrk2 / HdrHistogram plotter style: a log x axis (each
 * decade one more nine, out to the decade holding the max) so the tail is visible instead of
 * dwarfed by the max. From the encoded histograms: the full percentile distribution as a line,
 * dots at the summaries' percentiles (percentile-curve.ts); without them, the 12 summary
 * percentiles.
 */
export function percentileCurveSpec(s: ScenarioResult): TopLevelSpec {
  const values = percentileCurvePoints(s);
  const xMax = curveXMax(values);
  const decades = Math.round(Math.log10(xMax));
  const ks = Array.from({ length: decades + 1 }, (_, k) => k);
  const labelExpr = ks
    .slice(0, -1)
    .reduceRight(
      (rest, k) => `datum.value <= ${10 ** k} ? '${decadeLabel(k)}' : ${rest}`,
      `'${decadeLabel(decades)}'`,
    );
  const dense = values.some((v) => !v.named);
  return {
    ...SIZE,
    title: 'Latency by percentile (HdrHistogram)',
    data: { values },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: 'Percentile',
        scale: { type: 'log', domain: [1, xMax] },
        axis: { values: ks.map((k) => 10 ** k), labelExpr },
      },
      y: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' },
      color: { field: 'name', type: 'nominal', title: 'Request' },
    },
    layer: [
      { mark: { type: 'line', interpolate: dense ? 'linear' : 'monotone' } },
      {
        transform: [{ filter: 'datum.named' }],
        mark: { type: 'point', filled: true, opacity: 1 },
        encoding: {
          tooltip: [{ field: 'name' }, { field: 'percentile' }, { field: 'ms', title: 'ms' }],
        },
      },
    ],
  } as TopLevelSpec;
}

export function percentilesOverTimeSpec(s: ScenarioResult): TopLevelSpec {
  const values = s.timeseries.flatMap((x) =>
    x.requests === 0
      ? []
      : (['p50', 'p95', 'p99', 'max'] as const).map((k) => ({ t: x.t * 1000, series: k, ms: x[k] })),
  );
  return {
    ...SIZE,
    title: 'Latency percentiles over time',
    data: { values },
    mark: { type: 'line', point: values.length < 120 },
    encoding: {
      x: TIME_X,
      y: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: ['p50', 'p95', 'p99', 'max'],
        scale: { range: [COLORS.blue, COLORS.orange, COLORS.red, COLORS.grey] },
      },
    },
  } as TopLevelSpec;
}

export function throughputOverTimeSpec(s: ScenarioResult): TopLevelSpec {
  const values = s.timeseries.flatMap((x) => [
    { t: x.t * 1000, series: 'requests/s', v: x.requests },
    { t: x.t * 1000, series: 'failures/s', v: x.failures },
  ]);
  return {
    ...SIZE,
    title: 'Throughput and errors over time',
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: TIME_X,
      y: { field: 'v', type: 'quantitative', title: 'Per second' },
      color: {
        field: 'series',
        type: 'nominal',
        title: null,
        sort: ['requests/s', 'failures/s'],
        scale: { range: [COLORS.blue, COLORS.red] },
      },
    },
  } as TopLevelSpec;
}

/** CPU % or RSS MB per target process over time, with the limit as a dashed rule. */
export function resourceSpec(s: ScenarioResult, what: 'cpu' | 'rss'): TopLevelSpec | null {
  const r = s.resources;
  if (r === undefined || r.samples.length === 0) return null;
  const cpu = what === 'cpu';
  const values = r.samples.map((x) => ({
    t: x.t * 1000,
    target: x.target,
    v: cpu ? x.cpuPercent : x.rssBytes / 2 ** 20,
  }));
  const limit = cpu ? r.limits.cpuPercent : r.limits.rssBytes / 2 ** 20;
  return {
    ...SIZE,
    title: cpu ? `CPU per target process (limit ${limit}%)` : `RSS per target process (limit ${limit} MB)`,
    layer: [
      {
        data: { values },
        mark: { type: 'line' },
        encoding: {
          x: TIME_X,
          y: { field: 'v', type: 'quantitative', title: cpu ? 'CPU (% of one core)' : 'RSS (MB)' },
          color: { field: 'target', type: 'nominal', title: 'Process' },
        },
      },
      {
        data: { values: [{ limit }] },
        mark: { type: 'rule', color: COLORS.red, strokeDash: [6, 4] },
        encoding: { y: { field: 'limit', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}
