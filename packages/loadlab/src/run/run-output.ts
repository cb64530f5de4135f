/** Console text of a run beyond the report module's blocks and tables. */
import { EXIT_ABORTED, EXIT_OK, EXIT_THRESHOLDS_FAILED } from '../gates/exit-codes.ts';
import type { ThresholdResult } from '../gates/thresholds.ts';
import type { ResourceWatch } from '../model/result.ts';
import { humanBytes } from '../report/format.ts';
import { statusMark } from '../report/markdown-table.ts';
import { showValue } from './param-flags.ts';
import type { PlannedScenario } from './run-plan.ts';

/** "rate=1000 duration=10s symbols=SYM0,SYM1" */
export function paramSummary<T>(s: PlannedScenario<T>): string {
  return s.def.params
    .filter((p) => p.relevant?.(s.params) !== false)
    .map((p) => `${p.flag}=${showValue(s.params[p.key])}`)
    .join(' ');
}

export function resourceLines(r: ResourceWatch | undefined, watchedUrl?: string): string[] {
  if (r === undefined || r.source === 'none') return [];
  if (r.peaks.length === 0) {
    const from = r.source === 'api' ? (watchedUrl ?? 'the target') : 'the watched processes';
    return [`Resources: no samples from ${from}`];
  }
  const lines = [
    `Resources (peaks, limits < ${humanBytes(r.limits.rssBytes)} RSS, < ${r.limits.cpuPercent}% CPU):`,
  ];
  for (const p of r.peaks) {
    lines.push(
      `  ${statusMark(p.pass)} ${p.target}: CPU ${p.cpuPercent.toFixed(1)}%, RSS ${humanBytes(p.rssBytes)}`,
    );
  }
  return lines;
}

export function thresholdLines(results: readonly ThresholdResult[]): string[] {
  if (results.length === 0) return [];
  return ['Thresholds:', ...results.map((t) => `  ${statusMark(t.pass)} ${t.expression}: ${t.message}`)];
}

/**
 * The bottom line: what passed, what failed, and the exit code it gives. `targetsChecked`
 * false (a merge: scenario targets are per run and not checked again) claims thresholds only.
 */
export function verdictLine(
  code: number,
  failedThresholds: number,
  failedTargets: string[],
  targetsChecked = true,
): string {
  if (code === EXIT_OK)
    return targetsChecked
      ? `PASSED: every threshold and scenario target met (exit code ${EXIT_OK})`
      : `PASSED: every threshold met (exit code ${EXIT_OK}; scenario targets are not checked on merged reports)`;
  if (code === EXIT_THRESHOLDS_FAILED) {
    const parts: string[] = [];
    if (failedThresholds > 0) parts.push(`${failedThresholds} threshold(s)`);
    if (failedTargets.length > 0) parts.push(`target(s) ${failedTargets.join('; ')}`);
    return `FAILED: ${parts.join(' and ') || 'resource limits'} not met (exit code ${EXIT_THRESHOLDS_FAILED})`;
  }
  if (code === EXIT_ABORTED) return `INTERRUPTED: results so far are above (exit code ${EXIT_ABORTED})`;
  return `ERROR: a scenario could not run (exit code ${code})`;
}

/** The message for exit 104: one line per problem. */
export function problemsText(command: string, problems: readonly string[]): string {
  return [
    `${command}: invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
    ...problems.map((p) => `  - ${p}`),
    `Run '${command} --help' for the flags.`,
  ].join('\n');
}
