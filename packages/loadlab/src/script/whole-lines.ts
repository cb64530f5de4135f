/**
 * What `run --master` and `tickstorm merge` print about a script checked on the merged whole:
 * k6's summary of the merged metrics and options.thresholds (the lines a single run prints),
 * a note per report without script metrics, and each part's own verdicts (shown, not deciding).
 *
 *   out(scriptWholeLines(whole, gates.declared, inputs, 'on the merged whole (2 worker(s))').join('\n'));
 */
import { EXIT_THRESHOLDS_FAILED } from '../gates/exit-codes.ts';
import type { RunReport } from '../model/result.ts';
import { allMetrics } from './k6-metrics.ts';
import type { MetricKind } from './runtime.ts';
import type { ScriptOnWhole } from './script-section.ts';
import { checkRows, summaryLines } from './script-summary.ts';

export function scriptWholeLines(
  whole: ScriptOnWhole,
  declared: ReadonlyMap<string, MetricKind>,
  inputs: readonly { source: string; report: RunReport }[],
  where: string,
): string[] {
  const lines = [
    `Script metrics and options.thresholds ${where}:`,
    ...summaryLines({
      checks: checkRows(whole.parts),
      metrics: allMetrics(
        whole.view,
        declared,
        whole.section.thresholds.map((t) => t.metric.replace(/\{.*$/, '')),
        whole.k6,
      ),
      thresholds: whole.section.thresholds,
    }),
  ];
  for (const w of whole.without)
    lines.push(
      `  note: ${w}'s report carries no script metrics (an older tickstorm?): not in the figures above`,
    );
  const own = partVerdicts(inputs);
  if (own.length > 0)
    lines.push('', 'Each part on its own (shown; the whole above decides the exit code):', ...own);
  return lines;
}

/** "SOURCE's part missed ... on its own": each part's failed thresholds, as it reported them. */
export function partVerdicts(inputs: readonly { source: string; report: RunReport }[]): string[] {
  const lines: string[] = [];
  for (const { source, report } of inputs) {
    const missed = [
      ...(report.script?.thresholds ?? [])
        .filter((t) => !t.ok)
        .map((t) => `${t.metric}: ${t.threshold} (actual ${Math.round(t.actual * 1e4) / 1e4})`),
      ...report.thresholds.filter((t) => !t.pass).map((t) => `${t.expression} (actual ${t.actual})`),
    ];
    if (missed.length > 0) lines.push(`  ${source}'s part missed ${missed.join(', ')} on its own`);
    else if (report.exitCode === EXIT_THRESHOLDS_FAILED)
      lines.push(`  ${source}'s part ended 99 on its own (its thresholds: see its output)`);
  }
  return lines;
}
