/**
 * Resource watch: CPU % and RSS of the target's processes during a run, sampled every
 * second, either from /proc for local PIDs or from the system's `GET /api/metrics/system`
 * (what a remote Tickstorm, or anything exposing that shape, reports about itself).
 * Peaks are checked against the agent workload's limits: < 2 GB per process and < 80% CPU.
 */
import { readFileSync } from 'node:fs';
import type { ResourceSample, ResourceWatch } from '../model/result.ts';

export const SEED_LIMITS = { rssBytes: 2 * 1024 ** 3, cpuPercent: 80 } as const;

const CLK_TCK = 100;
const PAGE = 4096;

export type WatchTarget =
  | { kind: 'pid'; pid: number; label?: string }
  | { kind: 'api'; url: string; label?: string };

interface ProcTimes {
  cpuSec: number;
  rssBytes: number;
}

/** utime+stime (s) and RSS (bytes) of a local process from /proc, or null when it is gone. */
export function readProc(pid: number): ProcTimes | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSec = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const rssBytes = Number(f[21]) * PAGE;
    return { cpuSec, rssBytes };
  } catch {
    return null;
  }
}

export class ResourceWatcher {
  private readonly samples: ResourceSample[] = [];
  private readonly prev = new Map<string, { cpuSec: number; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly targets: readonly WatchTarget[],
    private readonly intervalMs = 1000,
  ) {}

  get source(): ResourceWatch['source'] {
    if (this.targets.length === 0) return 'none';
    return this.targets[0].kind === 'pid' ? 'proc' : 'api';
  }

  start(): this {
    if (this.targets.length === 0 || this.timer !== null) return this;
    void this.sample();
    this.timer = setInterval(() => {
      this.inFlight ??= this.sample().finally(() => {
        this.inFlight = null;
      });
    }, this.intervalMs);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<ResourceWatch> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.inFlight;
    return this.result();
  }

  result(): ResourceWatch {
    const peaks = new Map<string, { cpuPercent: number; rssBytes: number }>();
    for (const s of this.samples) {
      const p = peaks.get(s.target) ?? { cpuPercent: 0, rssBytes: 0 };
      p.cpuPercent = Math.max(p.cpuPercent, s.cpuPercent);
      p.rssBytes = Math.max(p.rssBytes, s.rssBytes);
      peaks.set(s.target, p);
    }
    return {
      source: this.source,
      samples: this.samples,
      peaks: [...peaks].map(([target, p]) => ({
        target,
        ...p,
        pass: p.rssBytes < SEED_LIMITS.rssBytes && p.cpuPercent < SEED_LIMITS.cpuPercent,
      })),
      limits: { ...SEED_LIMITS },
    };
  }

  /** Takes one sample of every target now (the timer calls this every interval). */
  async sample(): Promise<void> {
    const now = Date.now();
    for (const t of this.targets) {
      if (t.kind === 'pid') this.fromProc(t.pid, t.label ?? `pid ${t.pid}`, now);
      else await this.fromApi(t.url, t.label ?? t.url, now);
    }
  }

  private fromProc(pid: number, label: string, now: number): void {
    const p = readProc(pid);
    if (p === null) return;
    const before = this.prev.get(label);
    this.prev.set(label, { cpuSec: p.cpuSec, at: now });
    if (before === undefined || now <= before.at) return;
    const cpuPercent = ((p.cpuSec - before.cpuSec) / ((now - before.at) / 1000)) * 100;
    this.samples.push({ t: now / 1000, target: label, cpuPercent: round1(cpuPercent), rssBytes: p.rssBytes });
  }

  private async fromApi(url: string, label: string, now: number): Promise<void> {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(200, this.intervalMs - 100)) });
      if (!res.ok) return;
      const s = (await res.json()) as { cpuPercent?: unknown; rssBytes?: unknown; pid?: unknown };
      if (typeof s.cpuPercent !== 'number' || typeof s.rssBytes !== 'number') return;
      const target = typeof s.pid === 'number' ? `${label} (pid ${s.pid})` : label;
      this.samples.push({ t: now / 1000, target, cpuPercent: round1(s.cpuPercent), rssBytes: s.rssBytes });
    } catch {
      // A missed sample is just a gap; the target may be busy or restarting.
    }
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
