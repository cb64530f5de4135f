/**
 * A run master's check of each worker's part before it merges them (swarm/run-remote.ts): a
 * part that does not merge on its own (a histogram or packed counters that do not decode, a
 * count its counters do not hold, a script section of another shape: a corrupt or hostile
 * worker) would throw in the merge and take every other part's figures with it. It is left
 * out instead, with a line naming the worker and why; the worker counts as missing.
 */
import type { MissingWorker, RunReport } from '../model/result.ts';
import { mergedScriptParts } from '../script/script-section.ts';
import { decodeSparse } from '../stats/latency-codec.ts';
import { mergeRunReports } from '../stats/merge-results.ts';
import type { CollectedPart } from './run-parts.ts';

/** Why `report` does not merge, or undefined when it does. */
export function mergeProblem(source: string, report: RunReport, version: string): string | undefined {
  try {
    const merged = mergeRunReports([{ source, report }], version);
    mergedScriptParts(merged, [{ source, report }]);
    return scriptProblem(report);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A script section's figures that would merge as garbage: a counter that is no number, a Trend whose counters do not hold its count. */
function scriptProblem(report: RunReport): string | undefined {
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  for (const m of report.script?.scenarios ?? []) {
    for (const [k, v] of Object.entries(m.counters ?? {}))
      if (!num(v)) return `scenario ${m.scenario}: counter ${k.slice(0, 80)} is not a number`;
    if (!num(m.iterations) || (m.dropped !== undefined && !num(m.dropped)))
      return `scenario ${m.scenario}: iterations are not numbers`;
    for (const [name, e] of Object.entries(m.trends ?? {})) {
      const d = decodeSparse(e);
      const held = d.cnt.reduce((a, c) => a + c, 0);
      if (held !== d.count || !num(d.sumUs))
        return `scenario ${m.scenario}: Trend ${name.slice(0, 80)} holds ${held} values, its count says ${d.count}`;
    }
  }
  return undefined;
}

/**
 * The parts that merge; each other one is named on `err` and its worker listed in `missing`
 * (a lost one's entry says its snapshot does not merge, so none of its part is in the figures).
 */
export function mergeableParts(
  parts: readonly CollectedPart[],
  missing: MissingWorker[],
  version: string,
  err: (line: string) => void,
): CollectedPart[] {
  return parts.filter((p) => {
    const problem = mergeProblem(`worker ${p.id}`, p.report, version);
    if (problem === undefined) return true;
    const what = p.partialAt === undefined ? 'report' : 'last snapshot';
    const reason = `its ${what} does not merge: ${problem.slice(0, 300)}`;
    err(
      `tickstorm run: worker ${p.id}'s ${what} does not merge, so it is left out of the figures: ${problem.slice(0, 300)}`,
    );
    const m = missing.find((x) => x.id === p.id);
    if (m !== undefined) m.reason = `${m.reason}; ${reason}`;
    else missing.push({ id: p.id, reason, at: Date.now(), users: 0 });
    return false;
  });
}
