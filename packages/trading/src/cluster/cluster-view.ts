/**
 * The cluster view: the last heartbeat (./heartbeat.ts) of every instance on the bus, and
 * who is up. Cheap (one map entry per process, a handful of beats per second), so every
 * process with a NATS bus keeps one; the api reads it for /health, /api/metrics and /metrics.
 *
 * - An instance is UP while its last beat arrived less than `downAfterMs` (1,500 ms: three
 *   beats missed) ago, by this process's monotonic clock (no clock sync between hosts).
 * - A restarted process is a new instance (a new instanceId) and joins by heartbeating.
 * - A DOWN instance is dropped once an UP instance on the same host runs the same services
 *   (its replacement), or `forgetAfterMs` (60 s) after its last beat.
 * - A beat older (by `seq`) than the one held is ignored (a client buffer flushed late).
 */
import type { Bus } from '../bus/bus.ts';
import type { ServiceName } from '../config/service-config.ts';
import type { Heartbeat } from './heartbeat.ts';
import { Subject } from './subjects.ts';

export const DOWN_AFTER_MS = 1500;
export const FORGET_AFTER_MS = 60_000;

export interface ClusterViewOptions {
  downAfterMs?: number;
  forgetAfterMs?: number;
  /** Monotonic ms (default performance.now). */
  now?: () => number;
}

export interface InstanceState {
  hb: Heartbeat;
  up: boolean;
  /** Ms since its last beat arrived. */
  lastSeenMsAgo: number;
}

/** One row of /health's `instances`. */
export interface InstanceRow {
  instanceId: string;
  pid: number;
  host: string;
  services: ServiceName[];
  symbols: string[] | null;
  status: 'up' | 'down';
  lastSeenMsAgo: number;
  bus: string;
  urls: Partial<Record<ServiceName, string>>;
  problems: string[];
}

export class ClusterView {
  private readonly seen = new Map<string, { hb: Heartbeat; at: number }>();
  private readonly downAfterMs: number;
  private readonly forgetAfterMs: number;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  /** Beats taken (tests and /health). */
  beats = 0;

  constructor(
    readonly bus: Bus,
    o: ClusterViewOptions = {},
  ) {
    this.downAfterMs = o.downAfterMs ?? DOWN_AFTER_MS;
    this.forgetAfterMs = o.forgetAfterMs ?? FORGET_AFTER_MS;
    this.now = o.now ?? (() => performance.now());
    this.unsubscribe = bus.subscribe<Heartbeat>(Subject.HEARTBEAT, (hb) => this.note(hb));
  }

  /** This process's own instance id. */
  get self(): string {
    return this.bus.instanceId;
  }

  /** Takes a beat (from the bus, or this process's own). */
  note(hb: Heartbeat): void {
    if (typeof hb?.instanceId !== 'string' || !Array.isArray(hb.services)) return;
    const held = this.seen.get(hb.instanceId);
    if (held !== undefined && held.hb.seq >= hb.seq) return;
    this.beats++;
    this.seen.set(hb.instanceId, { hb, at: this.now() });
  }

  /** Every instance known, up ones first, then by start time; prunes replaced and forgotten ones. */
  instances(): InstanceState[] {
    const now = this.now();
    const all: InstanceState[] = [];
    for (const { hb, at } of this.seen.values()) {
      all.push({ hb, up: now - at < this.downAfterMs, lastSeenMsAgo: Math.round(now - at) });
    }
    const kept = all.filter((s) => {
      if (s.up) return true;
      if (s.lastSeenMsAgo >= this.forgetAfterMs || all.some((o) => o.up && replaces(o.hb, s.hb))) {
        this.seen.delete(s.hb.instanceId);
        return false;
      }
      return true;
    });
    return kept.sort((a, b) => Number(b.up) - Number(a.up) || a.hb.startedAt - b.hb.startedAt);
  }

  /** The up instances running `service`. */
  live(service: ServiceName): InstanceState[] {
    return this.instances().filter((s) => s.up && s.hb.services.includes(service));
  }

  rows(): InstanceRow[] {
    return this.instances().map((s) => ({
      instanceId: s.hb.instanceId,
      pid: s.hb.pid,
      host: s.hb.host,
      services: s.hb.services,
      symbols: s.hb.symbols,
      status: s.up ? 'up' : 'down',
      lastSeenMsAgo: s.lastSeenMsAgo,
      bus: s.hb.bus,
      urls: s.hb.urls,
      problems: s.hb.health.problems,
    }));
  }

  close(): void {
    this.unsubscribe();
  }
}

/** `a` replaces `b`: same host, same services, started later. */
function replaces(a: Heartbeat, b: Heartbeat): boolean {
  return (
    a.instanceId !== b.instanceId &&
    a.host === b.host &&
    a.startedAt >= b.startedAt &&
    a.services.length === b.services.length &&
    a.services.every((s) => b.services.includes(s))
  );
}
