/**
 * What the master knows of each worker, for the web UI's Workers table (Locust's field names:
 * id, state, user_count, cpu_usage, memory_usage; plus the host it connected from), the
 * CPU figure each side measures once per heartbeat, and Locust's CPU warning: a worker (or
 * the master) above CPU_WARNING_PERCENT of one core is named, at most once per
 * CPU_WARNING_EVERY_MS each.
 */

/** A worker's own state, sent with its heartbeats. */
export type WorkerRunState = 'ready' | 'running' | 'stopped';
/** Locust's worker states, as the master shows them ('spawning' while the swarm ramps). */
export type WorkerState = WorkerRunState | 'spawning' | 'missing';

export interface WorkerStatus {
  id: string;
  /** The address it connected from (null: unknown). */
  host: string | null;
  state: WorkerState;
  /** Users running on it, from its last heartbeat (0 once missing). */
  user_count: number;
  /** % of one core over its last heartbeat interval (null: the worker does not say). */
  cpu_usage: number | null;
  /** Resident set size in bytes (null: the worker does not say). */
  memory_usage: number | null;
  /** Missing: why. */
  reason?: string;
}

/** The master's view of its workers: each one (missing ones last) and its own CPU. */
export interface WorkersReport {
  workers: WorkerStatus[];
  /** The master's CPU, % of one core over the last second. */
  masterCpu: number;
  /** The master's resident set size in bytes. */
  masterMemory: number;
}

/** Locust's threshold: above this % of one core, measurements may suffer. */
export const CPU_WARNING_PERCENT = 90;
/** A saturated worker is named at most this often (one line per worker). */
export const CPU_WARNING_EVERY_MS = 60_000;

/** This process's CPU, % of one core, over the time since the last sample. */
export class CpuSampler {
  private c0 = process.cpuUsage();
  private t0 = performance.now();

  sample(): number {
    const c = process.cpuUsage(this.c0);
    const now = performance.now();
    const wallMs = now - this.t0;
    this.c0 = process.cpuUsage();
    this.t0 = now;
    return wallMs > 0 ? Math.round(((c.user + c.system) / 1000 / wallMs) * 1000) / 10 : 0;
  }
}

/** One warning line per name while its CPU is above the threshold, at most once a minute. */
export class CpuWarnings {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly everyMs = CPU_WARNING_EVERY_MS,
  ) {}

  check(who: string, percent: number | null | undefined, now = performance.now()): void {
    if (typeof percent !== 'number' || !(percent > CPU_WARNING_PERCENT)) return;
    const at = this.last.get(who);
    if (at !== undefined && now - at < this.everyMs) return;
    this.last.set(who, now);
    this.log(
      `${who}: CPU usage ${Math.round(percent)}% (above ${CPU_WARNING_PERCENT}% of one core): it may limit the throughput and skew response times; spread the users over more workers`,
    );
  }
}

/** A socket's remote address as people write it (no IPv4-mapped prefix). */
export function peerHost(address: string | undefined): string | null {
  if (address === undefined) return null;
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
