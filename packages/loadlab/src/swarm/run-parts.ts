/**
 * A run master's parts (MasterPool, `run --master`): each worker's final report, its latest
 * part so far (sent every PART_SNAPSHOT_MS, cumulative but for the per-second series:
 * part-series.ts), and the workers that came back.
 *
 * A worker dropped for its silence (no heartbeat: paused, SIGSTOP, an overloaded machine)
 * is told 'dropped' and its link is kept open: when it runs again it ends its part and
 * sends its report. While the master has not merged (`collected` not yet called), that
 * report replaces its last snapshot, once (`returned`: said on the console, in --json's
 * workers.returned and --html); after, it is logged and ignored (the figures are written).
 */
import type { MissingWorker, ReturnedWorker, RunReport } from '../model/result.ts';
import { withSeries } from './part-series.ts';
import { PART_SNAPSHOT_MS } from './remote-protocol.ts';

/** A report as a worker of this lab sends it (what the master reads of it before merging). */
export function isReport(r: unknown): r is RunReport {
  return typeof r === 'object' && r !== null && Array.isArray((r as { scenarios?: unknown }).scenarios);
}

export const requestsOf = (r: RunReport): number =>
  r.scenarios.reduce((a, s) => a + (Number(s?.requests) || 0), 0);

/** One worker's entry in what was collected: its report, or its last part so far. */
export interface CollectedPart {
  id: string;
  report: RunReport;
  /** The report is its last part so far, taken then (epoch ms): the worker was lost. */
  partialAt?: number;
  /** The worker was dropped, then its final report came: it replaced its last snapshot. */
  returned?: true;
}

export class RunParts {
  private readonly reports = new Map<string, RunReport>();
  private readonly parts = new Map<string, { report: RunReport; at: number }>();
  /** Workers dropped for their silence, whose report may still come (their links are open). */
  private readonly dropped = new Set<string>();
  readonly returned: ReturnedWorker[] = [];
  private merged = false;

  constructor(private readonly log: (line: string) => void) {}

  hasReport(id: string): boolean {
    return this.reports.has(id);
  }

  report(id: string): RunReport | undefined {
    return this.reports.get(id);
  }

  /** A part so far: kept (the latest, the series appended) until the worker's report. */
  onPart(id: string, report: unknown, at: unknown): void {
    if (!isReport(report) || typeof at !== 'number' || this.reports.has(id)) return;
    if (!this.parts.has(id))
      this.log(
        `Worker ${id} sent its part so far (every ${PART_SNAPSHOT_MS / 1000} s): should it be lost, its part up to its last snapshot counts`,
      );
    this.parts.set(id, { report: withSeries(this.parts.get(id)?.report, report), at });
  }

  /** A connected worker's final report (throws on one that is not a report). */
  onReport(id: string, report: unknown): void {
    if (!isReport(report)) throw new Error('no report with "scenarios"');
    this.reports.set(id, report);
    this.log(`Worker ${id} sent its report (its whole part: ${requestsOf(report)} requests)`);
  }

  /** `id` was dropped for its silence; its report may still come on its open link. */
  drop(id: string): void {
    if (!this.reports.has(id)) this.dropped.add(id);
  }

  isDropped(id: string): boolean {
    return this.dropped.has(id);
  }

  /**
   * A dropped worker's report: it replaces its last snapshot if the master has not merged
   * yet (the worker leaves `missing` for `returned`); true if it did.
   */
  onReturned(id: string, report: unknown, missing: MissingWorker[]): boolean {
    if (!this.dropped.delete(id)) return false;
    if (!isReport(report)) {
      this.log(`Worker ${id} came back after it was dropped, with no report with "scenarios": ignored`);
      return false;
    }
    if (this.merged) {
      this.log(
        `Worker ${id} came back after it was dropped, but the figures were already merged: its report is not in them`,
      );
      return false;
    }
    const i = missing.findIndex((m) => m.id === id);
    const m = i >= 0 ? missing.splice(i, 1)[0] : undefined;
    const snapshot = this.parts.get(id);
    this.parts.delete(id);
    this.reports.set(id, report);
    const requests = requestsOf(report);
    this.returned.push({
      id,
      reason: m?.reason ?? 'dropped',
      droppedAt: m?.at ?? Date.now(),
      at: Date.now(),
      requests,
      ...(snapshot === undefined ? {} : { snapshotRequests: requestsOf(snapshot.report) }),
    });
    this.log(
      `Worker ${id} came back after it was dropped (${m?.reason ?? 'dropped'}): its report (${requests} requests) replaces ${
        snapshot === undefined
          ? 'nothing (no snapshot came)'
          : `its last snapshot (${requestsOf(snapshot.report)} requests)`
      }`,
    );
    return true;
  }

  /**
   * What stands for each of `ids`: its report, else its last part so far (partial); from
   * now on a report that comes back no longer counts.
   */
  collected(ids: readonly string[]): CollectedPart[] {
    this.merged = true;
    const back = new Set(this.returned.map((r) => r.id));
    return ids.flatMap((id): CollectedPart[] => {
      const r = this.reports.get(id);
      if (r !== undefined) return [back.has(id) ? { id, report: r, returned: true } : { id, report: r }];
      const part = this.parts.get(id);
      return part === undefined ? [] : [{ id, report: part.report, partialAt: part.at }];
    });
  }
}
