/** Console text of `tickstorm run` beyond the report module's blocks and tables. */
import type { ThresholdResult } from '../gates/thresholds.ts';
import type { ResourceWatch } from '../model/result.ts';
import { humanBytes } from '../report/format.ts';
import { statusMark } from '../report/markdown-table.ts';
import { type BenchRow, formatNs } from '../report/target-tables.ts';
import { showValue } from './param-flags.ts';
import type { PlannedScenario } from './run-plan.ts';

/** "rate=1000 duration=10s symbols=SYM0,SYM1" */
export function paramSummary(s: PlannedScenario): string {
  return s.def.params.map((p) => `${p.flag}=${showValue(s.params[p.key])}`).join(' ');
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

/** The bottom line: what passed, what failed, and the exit code it gives. */
export function verdictLine(code: number, failedThresholds: number, failedTargets: string[]): string {
  if (code === 0) return 'PASSED: every threshold and scenario target met (exit code 0)';
  if (code === 99) {
    const parts: string[] = [];
    if (failedThresholds > 0) parts.push(`${failedThresholds} threshold(s)`);
    if (failedTargets.length > 0) parts.push(`target(s) ${failedTargets.join('; ')}`);
    return `FAILED: ${parts.join(' and ') || 'resource limits'} not met (exit code 99)`;
  }
  if (code === 105) return 'INTERRUPTED: results so far are above (exit code 105)';
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

/** Micro-benchmark rows that missed: shown, not gated (`tickstorm bench` gates them, exit 1). */
export function benchNote(bench: readonly BenchRow[]): string | undefined {
  const missed = bench.filter((b) => b.pass === false);
  if (missed.length === 0) return undefined;
  const each = missed.map((b) => {
    const m = b.measure ?? 'p50';
    const v = m === 'p50' ? b.p50_ns : b.p99_ns;
    return `${b.name} ${v === null ? 'n/a' : formatNs(v)} (${m}) vs <${formatNs(b.target_ns)}`;
  });
  return `Note: micro-benchmark target(s) missed: ${each.join('; ')}. They inform the table and do not gate this run (\`tickstorm bench\` exits 1 on them).`;
}
