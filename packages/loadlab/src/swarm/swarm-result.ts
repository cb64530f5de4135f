/**
 * The swarm's merged ScenarioResult: entries from the hosts' latest cumulative snapshots,
 * the per-second series from their merged raw seconds, generator health from this process
 * (threads included) or, on a master, from its workers' own measurements (extra.workerHealth).
 */
import type { GeneratorHealth, ScenarioResult } from '../model/result.ts';
import { assessHealth, type ThreadHealth } from '../monitor/health.ts';
import { RequestStats } from '../stats/request-stats.ts';
import { toScenarioResult } from '../stats/to-result.ts';
import type { HostSnapshot, WorkerHealth } from './user-host.ts';
import type { ExceptionRow } from './user-runner.ts';

export interface SwarmResultInput {
  name: string;
  snaps: readonly HostSnapshot[];
  /** Each snapshot's worker id on a master (undefined: a thread of this process). */
  nodes?: readonly (string | undefined)[];
  /** The merged time series (its slices are used as they are). */
  timeline: RequestStats['timeline'] | null;
  startedAt: number;
  /** The statistics period: from (start or last reset) to end, epoch ms. */
  from: number;
  end: number;
  cpu: { cpuSec: number; percent: number };
  /** The main thread's event-loop health, once the test ended. */
  thread: ThreadHealth | null;
  workers: number;
  params: Record<string, unknown>;
  usersByClass: Record<string, number>;
  peakUsersByClass: Record<string, number>;
}

export function buildSwarmResult(i: SwarmResultInput): ScenarioResult {
  const view = new RequestStats();
  for (const s of i.snaps) view.merge(s.stats);
  const remote = i.snaps.flatMap((s) => (s.health === undefined ? [] : [s.health]));
  const local = assessHealth({
    model: 'closed',
    cpuPercent: i.cpu.percent,
    threads: i.thread === null ? [] : [i.thread],
    workers: i.workers,
    dropped: 0,
    maxVUs: 0,
    planned: 0,
    started: 0,
    startLagP99Ms: 0,
  });
  const health = remote.length > 0 ? mergeWorkerHealth(remote) : local;
  const exceptions = mergeExceptions(i.snaps, i.nodes);
  const result = toScenarioResult(view, {
    scenario: i.name,
    params: i.params,
    startedAt: i.startedAt,
    durationSec: Math.max(0, (i.end - i.from) / 1000),
    generator: health,
    extra: {
      generatorCpuSec:
        remote.length > 0
          ? Math.round(remote.reduce((a, h) => a + h.cpuSec, 0) * 1000) / 1000
          : Math.round(i.cpu.cpuSec * 1000) / 1000,
      ...(remote.length > 0
        ? { workerHealth: remote, masterCpuSec: Math.round(i.cpu.cpuSec * 1000) / 1000 }
        : {}),
      exceptions,
      usersByClass: i.usersByClass,
      peakUsersByClass: i.peakUsersByClass,
      peakUsers: Object.values(i.peakUsersByClass).reduce((a, b) => a + b, 0),
    },
  });
  result.timeseries = i.timeline?.slices ?? [];
  return result;
}

/**
 * The workers' generator health as one: CPU summed (% of one core, over all machines), the
 * worst event-loop delay, saturated when any worker was, each warning naming its worker.
 */
export function mergeWorkerHealth(hs: readonly WorkerHealth[]): GeneratorHealth {
  return {
    cpuPercent: Math.round(hs.reduce((a, h) => a + h.cpuPercent, 0) * 10) / 10,
    eventLoopLagMs: {
      p50: Math.max(...hs.map((h) => h.eventLoopLagMs.p50)),
      p99: Math.max(...hs.map((h) => h.eventLoopLagMs.p99)),
      max: Math.max(...hs.map((h) => h.eventLoopLagMs.max)),
    },
    droppedIterations: 0,
    workers: hs.length,
    saturated: hs.some((h) => h.saturated),
    warnings: hs.flatMap((h) => h.warnings.map((w) => `worker ${h.id ?? '?'}: ${w}`)),
  };
}

/** Rows with the same message and traceback add up; on a master each lists the workers that raised it. */
export function mergeExceptions(
  snaps: readonly HostSnapshot[],
  nodes: readonly (string | undefined)[] = [],
): ExceptionRow[] {
  const m = new Map<string, ExceptionRow>();
  for (const [i, s] of snaps.entries()) {
    const node = nodes[i];
    for (const e of s.exceptions) {
      const k = `${e.message}\u0000${e.traceback}`;
      let row = m.get(k);
      if (row !== undefined) row.count += e.count;
      else m.set(k, (row = { ...e, ...(e.nodes === undefined ? {} : { nodes: [...e.nodes] }) }));
      if (node !== undefined && !(row.nodes ??= []).includes(node)) row.nodes.push(node);
    }
  }
  return [...m.values()].sort((a, b) => b.count - a.count);
}
