/**
 * Generator CPU from /proc: a child's utime+stime (every thread of the process) sampled while
 * it runs, read at the moments its output shows the load starting and stopping, and its whole
 * lifetime's CPU from this process's cutime+cstime once it has been reaped. Linux only.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Fields after the `(comm)` of /proc/PID/stat; index 0 is field 3 (state). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of a live process in seconds (all its threads), or undefined once it is gone. */
export function procCpuSec(pid: number): number | undefined {
  const f = statFields(pid);
  return f === undefined ? undefined : (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/** cutime + cstime of this process: CPU of every child it has reaped, in seconds. */
export function reapedChildrenCpuSec(): number {
  const f = statFields('self')!;
  return (Number(f[13]) + Number(f[14])) / CLK_TCK;
}

export interface CpuSample {
  /** Seconds since the spawn. */
  t: number;
  cpuSec: number;
  /** CPU-seconds of each of MeasureOptions.watchPids at the same moment. */
  others: number[];
}

export interface MeasuredRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallSec: number;
  /** The whole process, start-up and shut-down included (cutime delta after it was reaped). */
  totalCpuSec: number;
  /** Between the start and end markers (seconds since spawn, CPU-seconds). */
  window: { startT: number; endT: number; cpuSec: number } | undefined;
  /** /proc samples every `sampleMs` while it ran. */
  samples: CpuSample[];
}

export interface MeasureOptions {
  /** Output (stdout or stderr) that shows the load has started / stopped. */
  start: RegExp;
  end: RegExp;
  sampleMs?: number;
  cwd?: string;
  /** Other processes (say the target) sampled alongside. */
  watchPids?: number[];
}

/** Runs `cmd args` to completion, measuring its CPU as described above. Never one of two at once. */
export function runMeasured(cmd: string, args: string[], o: MeasureOptions): Promise<MeasuredRun> {
  const reapedBefore = reapedChildrenCpuSec();
  const t0 = performance.now();
  const p = spawn(cmd, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = p.pid!;
  const now = () => (performance.now() - t0) / 1000;
  const samples: CpuSample[] = [];
  const sample = (): CpuSample | undefined => {
    const c = procCpuSec(pid);
    if (c === undefined) return undefined;
    const s = { t: now(), cpuSec: c, others: (o.watchPids ?? []).map((q) => procCpuSec(q) ?? Number.NaN) };
    samples.push(s);
    return s;
  };
  const timer = setInterval(sample, o.sampleMs ?? 100);
  let stdout = '';
  let stderr = '';
  let startAt: CpuSample | undefined;
  let endAt: CpuSample | undefined;
  const watch = (text: string) => {
    if (startAt === undefined && o.start.test(text)) startAt = sample();
    if (startAt !== undefined && endAt === undefined && o.end.test(text)) endAt = sample();
  };
  p.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    watch(stdout);
  });
  p.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    watch(stderr);
  });
  return new Promise((resolve, reject) => {
    p.on('error', (err) => {
      clearInterval(timer);
      reject(err);
    });
    p.on('close', (code) => {
      clearInterval(timer);
      const end = endAt ?? samples[samples.length - 1];
      resolve({
        code,
        stdout,
        stderr,
        wallSec: now(),
        totalCpuSec: reapedChildrenCpuSec() - reapedBefore,
        window:
          startAt === undefined || end === undefined
            ? undefined
            : { startT: startAt.t, endT: end.t, cpuSec: end.cpuSec - startAt.cpuSec },
        samples,
      });
    });
  });
}

/**
 * CPU-seconds per second between two moments (seconds since spawn), from the samples: the
 * generator's, or with `other` = i the i-th watched process's.
 */
export function cpuRate(samples: CpuSample[], from: number, to: number, other?: number): number | undefined {
  const a = samples.find((s) => s.t >= from);
  const b = samples.findLast((s) => s.t <= to);
  if (a === undefined || b === undefined || b.t <= a.t) return undefined;
  const cpu = (s: CpuSample) => (other === undefined ? s.cpuSec : s.others[other]);
  return (cpu(b) - cpu(a)) / (b.t - a.t);
}
