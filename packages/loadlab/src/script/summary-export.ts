/**
 * k6's `--summary-export FILE`: the end-of-test summary in k6's older export format, which CI
 * pipelines and report tools written for k6 read. Built from the same data handleSummary()
 * gets (handle-summary.ts), reshaped as k6 writes it:
 *
 *   { "root_group": { name, path, id, groups: { NAME: { …the same… } }, checks: { NAME: { name, path, id, passes, fails } } },
 *     "metrics": { "http_req_duration": { "avg": 1.2, "min": …, "med": …, "max": …, "p(90)": …, "p(95)": …,
 *                                         "thresholds": { "p(95)<200": false } },
 *                  "http_reqs": { "count": 80, "rate": 26.6 },
 *                  "checks": { "passes": 16, "fails": 0, "value": 1 },
 *                  "queue_depth": { "value": 3, "min": 0, "max": 9 } } }
 *
 * As in k6's export, a threshold's boolean is true when it FAILED (k6 kept that inversion for
 * compatibility; handleSummary's data says `{ ok }` instead). Trends carry the stats of
 * options.summaryTrendStats, in ms.
 */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import type { SummaryGroup } from './check-tree.ts';
import type { SummaryData } from './handle-summary.ts';

export function summaryExport(d: SummaryData): unknown {
  const metrics: Record<string, Record<string, unknown>> = {};
  for (const [name, m] of Object.entries(d.metrics)) {
    const v = m.values;
    const out: Record<string, unknown> =
      m.type === 'rate' ? { passes: v.passes, fails: v.fails, value: v.rate } : { ...v };
    if (m.thresholds !== undefined)
      out.thresholds = Object.fromEntries(Object.entries(m.thresholds).map(([k, t]) => [k, !t.ok]));
    metrics[name] = out;
  }
  return { root_group: exportGroup(d.root_group), metrics };
}

/** k6's export keys a group's groups and checks by name (handleSummary's data lists them). */
function exportGroup(g: SummaryGroup): unknown {
  return {
    name: g.name,
    path: g.path,
    id: g.id,
    groups: Object.fromEntries(g.groups.map((sub) => [sub.name, exportGroup(sub)])),
    checks: Object.fromEntries(g.checks.map((c) => [c.name, { ...c }])),
  };
}

/** Writes the export to `file` (parent directories created); returns the path. */
export function writeSummaryExport(file: string, d: SummaryData): string {
  makeDir(dirname(file));
  writeFileSync(file, `${JSON.stringify(summaryExport(d), null, 2)}\n`);
  return file;
}

/**
 * writeSummaryExport for the end of a run: a file it cannot write is said on `err`, naming the
 * flag, and answers null; the run goes on to print its summary and exits as its thresholds say
 * (as k6 logs a failed export). It threw, which lost the summary and named no flag.
 */
export function exportSummary(file: string, d: SummaryData, err: (line: string) => void): string | null {
  try {
    return writeSummaryExport(file, d);
  } catch (e) {
    err(`tickstorm run: --summary-export ${file}: cannot write it (${(e as Error).message})`);
    return null;
  }
}
