/**
 * SystemStats of this process, sampled once per interval (default 1 s) by one unref'd timer:
 * CPU % (process.cpuUsage delta over wall time; 100 = one core busy), event-loop delay
 * (perf_hooks.monitorEventLoopDelay minus its sampling period, reset every interval:
 * mean/p50/p99/max in ms) and
 * event-loop utilisation over the interval. Memory is read when asked (always current).
 */
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { SystemStats } from '../stats/stats-types.ts';

export interface SystemSampler {
  /** The last interval's figures (before the first sample: since the sampler started). */
  stats(): SystemStats;
  stop(): void;
}

export interface SystemSamplerOptions {
  intervalMs?: number;
  /** Event-loop delay sampling resolution in ms (default 10). */
  resolutionMs?: number;
}

const round3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : 0);
const nsToMs = (ns: number) => round3(ns / 1e6);

export function startSystemSampler(opts: SystemSamplerOptions = {}): SystemSampler {
  const intervalMs = opts.intervalMs ?? 1000;
  const resolutionMs = opts.resolutionMs ?? 10;
  const resolutionNs = resolutionMs * 1e6;
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: resolutionMs });
  delay.enable();
  let lastCpu = process.cpuUsage();
  let lastWall = performance.now();
  let lastElu = performance.eventLoopUtilization();
  let cpuPercent = 0;
  let elu = 0;
  let lag = { mean: 0, p50: 0, p99: 0, max: 0 };
  let sampled = false;
  let heap: NodeJS.MemoryUsage | null = null;

  const sample = (): void => {
    const cpu = process.cpuUsage();
    const wall = performance.now();
    const usedMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    const wallMs = wall - lastWall;
    cpuPercent = wallMs > 0 ? round3((usedMs / wallMs) * 100) : 0;
    const eluNow = performance.eventLoopUtilization();
    elu = round3(performance.eventLoopUtilization(eluNow, lastElu).utilization);
    lag = readLag(delay, resolutionNs);
    delay.reset();
    lastCpu = cpu;
    lastWall = wall;
    lastElu = eluNow;
    sampled = true;
    heap = process.memoryUsage();
  };

  const timer = setInterval(sample, intervalMs);
  timer.unref();
  let stopped = false;

  return {
    stats(): SystemStats {
      if (!sampled && !stopped) {
        // No full interval yet: report what we have since start without resetting.
        const cpu = process.cpuUsage(lastCpu);
        const wallMs = performance.now() - lastWall;
        cpuPercent = wallMs > 0 ? round3(((cpu.user + cpu.system) / 1000 / wallMs) * 100) : 0;
        elu = round3(performance.eventLoopUtilization(lastElu).utilization);
        lag = readLag(delay, resolutionNs);
      }
      // rss is cheap to read each time; heap figures (V8 heap statistics) come from the last sample
      if (heap === null) heap = process.memoryUsage();
      return {
        pid: process.pid,
        uptimeSeconds: round3(process.uptime()),
        cpuPercent,
        rssBytes: process.memoryUsage.rss(),
        heapUsedBytes: heap.heapUsed,
        heapTotalBytes: heap.heapTotal,
        eventLoopLagMs: { ...lag },
        eventLoopUtilization: elu,
      };
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      delay.disable();
    },
  };
}

/** The histogram holds each timer's whole period; the lag is what exceeds the resolution. */
function readLag(h: IntervalHistogram, resolutionNs: number): SystemStats['eventLoopLagMs'] {
  if (h.count === 0) return { mean: 0, p50: 0, p99: 0, max: 0 };
  const lagMs = (ns: number) => nsToMs(Math.max(0, ns - resolutionNs));
  return {
    mean: lagMs(h.mean),
    p50: lagMs(h.percentile(50)),
    p99: lagMs(h.percentile(99)),
    max: lagMs(h.max),
  };
}
