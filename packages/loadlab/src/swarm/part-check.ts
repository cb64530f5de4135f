/**
 * A run master's check of each worker's part before it merges them (swarm/run-remote.ts): a
 * part that does not merge on its own (a histogram or packed counters that do not decode, a
 * count its counters do not hold, a script section of another shape: a corrupt or hostile
 * worker) would throw in the merge and take every other part's figures with it. It is left
 * out instead, with a line naming the worker and why; the worker counts as missing.
 */
import type { MissingWorker, RunReport } from '../model/result.ts';
import { mergedScriptParts } from '../script/script-section.ts';
import { mergeRunReports } from '../stats/merge-results.ts';
import type { CollectedPart } from './run-parts.ts';

/** Why `report` does not merge, or undefined when it does. */
export function mergeProblem(source: string, report: RunReport, version: string): string | undefined {
  try {
    const merged = mergeRunReports([{ source, report }], version);
    mergedScriptParts(merged, [{ source, report }]);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
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
