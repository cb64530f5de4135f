/**
 * `--html FILE`: a self-contained HTML report. No scripts, no CDN, no external files: the charts
 * are Vega-Lite specs rendered server-side to SVG and inlined. Contents: verdict, the suite's
 * tables (if any), thresholds (and a script's options.thresholds, html-script.ts), a master's
 * workers (who joined, who went missing: html-workers.ts), and per
 * scenario its figures, targets, the Sample Results table, latency distribution, latency by
 * percentile (the HdrHistogram distribution, percentile-curve.ts), latency percentiles over
 * time, throughput and errors over time, failures, generator health and the resource watch
 * (CPU/RSS per target vs < 80% / < 2 GB).
 */
import { writeFileSync } from 'node:fs';
import type { RunReport, ScenarioResult } from '../model/result.ts';
import { renderSvg, type TopLevelSpec } from './charts.ts';
import { scenarioTitle } from './console.ts';
import { epochSec, humanBytes, humanMs } from './format.ts';
import {
  histogramSpec,
  type LatencyBin,
  percentileCurveSpec,
  percentileSpectrumSpec,
  percentilesOverTimeSpec,
  resourceSpec,
  throughputOverTimeSpec,
} from './html-charts.ts';
import { LIFECYCLE_NOTE, lifecycleSection, requestTotals } from './html-lifecycle.ts';
import { type Cell, esc, inlineSvg, STYLE, status, table } from './html-parts.ts';
import { scriptThresholdsHtml } from './html-script.ts';
import { workersHtml } from './html-workers.ts';
import { lifecycleResults, withLifecycle } from './lifecycle-rows.ts';
import { aggregatedEntry, sortedEntries } from './locust-csv.ts';
import type { SummaryTable } from './summary-table.ts';

export type { LatencyBin } from './html-charts.ts';

export interface HtmlReportOptions {
  title?: string;
  /** Tables after the verdict (a suite's tables, e.g. performance targets). */
  tables?: readonly SummaryTable[];
  /** Scenario id -> heading (default: from the id). */
  titles?: Readonly<Record<string, string>>;
  /** Per scenario id: latency histogram bins (ms). Without them the distribution chart shows percentiles. */
  histograms?: Record<string, readonly LatencyBin[]>;
}

const num = (v: string | number): Cell => ({ html: esc(v), cls: 'num' });

async function chart(spec: TopLevelSpec | null, label: string): Promise<string> {
  return spec === null ? '' : inlineSvg(await renderSvg(spec), label);
}

function cards(s: ScenarioResult): string {
  const errPct = s.requests > 0 ? ((s.failures / s.requests) * 100).toFixed(2) : '0.00';
  const items: [string, string][] = [
    ['requests', s.requests.toLocaleString('en-US')],
    ['failures', `${s.failures.toLocaleString('en-US')} (${errPct}%)`],
    ['req/s', s.rps.toFixed(1)],
    ['P50', humanMs(s.latency_ms.p50)],
    ['P95', humanMs(s.latency_ms.p95)],
    ['P99', humanMs(s.latency_ms.p99)],
    ['max', humanMs(s.latency_ms.max)],
    ['duration', `${s.durationSec.toFixed(1)} s`],
  ];
  return `<div class="cards">${items.map(([k, v]) => `<div class="card"><b>${esc(v)}</b><span>${esc(k)}</span></div>`).join('')}</div>`;
}

function entriesTable(s: ScenarioResult): string {
  const rows = [...sortedEntries(s), aggregatedEntry(s)].map((e) => [
    e.type,
    e.name,
    num(e.requests),
    num(e.failures),
    num(e.latency_ms.mean.toFixed(2)),
    num(e.latency_ms.min.toFixed(2)),
    num(e.latency_ms.max.toFixed(2)),
    num(e.latency_ms.p50.toFixed(2)),
    num(e.latency_ms.p95.toFixed(2)),
    num(e.latency_ms.p99.toFixed(2)),
    num(e.rps.toFixed(2)),
    num(e.failuresPerSec.toFixed(2)),
  ]);
  const head = [
    'Type',
    'Name',
    '# reqs',
    '# fails',
    'Avg',
    'Min',
    'Max',
    'Med',
    'P95',
    'P99',
    'req/s',
    'failures/s',
  ];
  return `<h3>Sample Results (ms)</h3>\n${table(head, rows)}`;
}

function generatorSection(s: ScenarioResult): string {
  const g = s.generator;
  const rows: Cell[][] = [
    ['CPU (% of one core)', num(g.cpuPercent.toFixed(1))],
    [
      'Event-loop lag p50 / p99 / max',
      num(`${g.eventLoopLagMs.p50} / ${g.eventLoopLagMs.p99} / ${g.eventLoopLagMs.max} ms`),
    ],
    ['Dropped iterations', num(g.droppedIterations)],
    ['Workers', num(g.workers)],
    [
      'Saturated',
      g.saturated ? { html: 'yes: results understate the target', cls: 'fail' } : { html: 'no', cls: 'pass' },
    ],
  ];
  const warnings = g.warnings.map((w) => `<p class="warn">⚠ ${esc(w)}</p>`).join('\n');
  return `<h3>Generator health</h3>\n${table(['', ''], rows)}\n${warnings}`;
}

async function resourceSection(s: ScenarioResult): Promise<string> {
  const r = s.resources;
  if (r === undefined) return '<h3>Resource watch</h3>\n<p class="meta">Not recorded for this scenario.</p>';
  const rows = r.peaks.map((p) => [
    p.target,
    num(p.cpuPercent.toFixed(1)),
    num(humanBytes(p.rssBytes)),
    status(p.pass),
  ]);
  const limits = `Limits (agent workload): RSS &lt; ${esc(humanBytes(r.limits.rssBytes))} per process, CPU &lt; ${r.limits.cpuPercent}%. Source: ${esc(r.source)}.`;
  const charts = [
    await chart(resourceSpec(s, 'cpu'), 'CPU per process'),
    await chart(resourceSpec(s, 'rss'), 'RSS per process'),
  ];
  return [
    '<h3>Resource watch</h3>',
    `<p class="meta">${limits}</p>`,
    table(['Process', 'Peak CPU %', 'Peak RSS', 'Status'], rows),
    `<div class="charts">${charts.join('\n')}</div>`,
  ].join('\n');
}

/**
 * A scenario's section. `whole` (a script of one scenario with setup()/teardown() requests: the
 * scenario with them added, lifecycle-rows.ts) gives the figures, the Sample Results table and
 * the failures; the charts stay the scenario's.
 */
async function scenarioSection(
  s: ScenarioResult,
  opts: HtmlReportOptions,
  whole: ScenarioResult = s,
): Promise<string> {
  const bins = opts.histograms?.[s.scenario];
  const dist = bins !== undefined && bins.length > 0 ? histogramSpec(bins) : percentileSpectrumSpec(s);
  const charts = [
    await chart(dist, 'Latency distribution'),
    await chart(percentileCurveSpec(s), 'Latency by percentile (HdrHistogram)'),
    await chart(percentilesOverTimeSpec(s), 'Latency percentiles over time'),
    await chart(throughputOverTimeSpec(s), 'Throughput and errors over time'),
  ];
  const targets = s.targets.map((t) => [t.name, t.target, t.actual, status(t.pass)]);
  const failures = whole.failureRows.map((f) => [f.method, f.name, f.error, num(f.occurrences)]);
  const params = Object.entries(s.params)
    .map(([k, v]) => `${esc(k)}=${esc(JSON.stringify(v))}`)
    .join(', ');
  return [
    `<section id="scenario-${esc(s.scenario)}">`,
    `<h2>${esc(opts.titles?.[s.scenario] ?? scenarioTitle(s.scenario))} <small>(${esc(s.scenario)})</small></h2>`,
    `<p class="meta">${params}</p>`,
    whole === s ? '' : `<p class="meta">${esc(LIFECYCLE_NOTE)}</p>`,
    cards(whole),
    '<h3>Targets</h3>',
    targets.length > 0
      ? table(['Target', 'Goal', 'Actual', 'Status'], targets, 'targets')
      : '<p class="meta">None.</p>',
    entriesTable(whole),
    `<div class="charts">${charts.join('\n')}</div>`,
    '<h3>Failures</h3>',
    failures.length > 0
      ? table(['Method', 'Name', 'Error', 'Occurrences'], failures)
      : '<p class="meta">None.</p>',
    generatorSection(s),
    await resourceSection(s),
    '</section>',
  ].join('\n');
}

function summaryTables(tables: readonly SummaryTable[]): string {
  return tables
    .map((t) => {
      const rows = t.rows.map((r) => [...r.cells, status(r.pass)]);
      const group = t.group === undefined ? '' : `<h2>${esc(t.group)}</h2>\n`;
      return `${group}<h3>${esc(t.title)}</h3>\n${table([...t.columns, 'Status'], rows, 'targets')}`;
    })
    .join('\n');
}

export async function renderHtmlReport(report: RunReport, opts: HtmlReportOptions = {}): Promise<string> {
  const title = opts.title ?? 'Tickstorm load report';
  const ok = report.exitCode === 0;
  const thresholds = report.thresholds.map((t) => {
    const m = (t as { message?: string }).message ?? '';
    return [
      t.expression,
      t.metric,
      num(Number.isFinite(t.actual) ? +t.actual.toFixed(4) : 'n/a'),
      status(t.pass),
      m,
    ];
  });
  const sections: string[] = [];
  const parts = lifecycleResults(report);
  const only = report.scenarios.length === 1 ? report.scenarios[0] : undefined;
  if (only !== undefined) sections.push(await scenarioSection(only, opts, withLifecycle(only, parts)));
  else {
    for (const s of report.scenarios) sections.push(await scenarioSection(s, opts));
    for (const p of parts) sections.push(lifecycleSection(p, entriesTable(p)));
    if (parts.length > 0) sections.unshift(requestTotals(report.scenarios, parts));
  }
  const started = new Date(epochSec(report.startedAt) * 1000).toISOString();
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">Target ${esc(report.target)} · started ${esc(started)} · ${esc((epochSec(report.finishedAt) - epochSec(report.startedAt)).toFixed(1))} s · ${esc(report.tool)} ${esc(report.version)}</p>
<p><span class="verdict ${ok ? 'ok' : 'bad'}">${ok ? 'PASSED' : `FAILED (exit code ${report.exitCode})`}</span></p>
${summaryTables(opts.tables ?? [])}
<h3>Thresholds</h3>
${thresholds.length > 0 ? table(['Threshold', 'Metric', 'Actual', 'Status', 'Detail'], thresholds) : '<p class="meta">None set.</p>'}
${scriptThresholdsHtml(report)}
${workersHtml(report)}
${sections.join('\n')}
</body>
</html>
`;
}

export async function writeHtmlReport(
  path: string,
  report: RunReport,
  opts: HtmlReportOptions = {},
): Promise<void> {
  writeFileSync(path, await renderHtmlReport(report, opts));
}
