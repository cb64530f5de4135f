/**
 * The REAL trading system for the HTTP benchmarks: `node bin/tickstorm.js serve` in a child
 * process (all four services, ports 0, a fresh temporary data dir), its URLs read from what
 * it prints, its CPU read from /proc/<pid>/stat (utime + stime), and a graceful SIGTERM stop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TICKSTORM = join(ROOT, 'bin', 'tickstorm.js');
const CLK_TCK = 100;

export interface ServedSystem {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  urls: Record<string, string>;
  /** SIGTERM, wait for the exit; resolves with the exit code (0 = stopped cleanly). */
  stop(): Promise<number | null>;
}

/**
 * Starts the whole system; `nodeArgs` go before the script (e.g. --cpu-prof), `serveArgs`
 * after `serve` (e.g. --metrics-store URL).
 */
export async function serveChild(
  nodeArgs: readonly string[] = [],
  env = process.env,
  serveArgs: readonly string[] = [],
): Promise<ServedSystem> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tickstorm-bench-'));
  const ports = ['market-data', 'execution-engine', 'risk-manager', 'api'].flatMap((s) => [
    `--${s}-port`,
    '0',
  ]);
  const child = spawn(
    process.execPath,
    [...nodeArgs, TICKSTORM, 'serve', '--data-dir', dataDir, ...ports, ...serveArgs],
    {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr!.on('data', (d) => process.stderr.write(`[serve] ${d}`));
  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start within 60 s:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (!/^pid \d+;/m.test(out)) return;
      clearTimeout(timer);
      const found: Record<string, string> = {};
      for (const m of out.matchAll(/^(\S+)\s+(http:\/\/\S+)/gm)) found[m[1]] = m[2];
      resolve(found);
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited (${code}) before it was ready:\n${out}`));
    });
  });
  return {
    child,
    pid: child.pid!,
    dataDir,
    urls,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** CPU seconds (user + system, all threads) of a process so far; NaN where /proc is missing. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** Measures CPU% of `pid` and of this process between `start()` and `stop()`. */
export function cpuMeter(pid: number) {
  const wall0 = performance.now();
  const srv0 = cpuSeconds(pid);
  const me0 = process.cpuUsage();
  return () => {
    const wall = (performance.now() - wall0) / 1000;
    const me = process.cpuUsage(me0);
    const serverCpuSeconds = cpuSeconds(pid) - srv0;
    return {
      serverCpuSeconds,
      serverCpuPercent: Math.round((100 * serverCpuSeconds) / wall),
      clientCpuPercent: Math.round((me.user + me.system) / 1e4 / wall),
    };
  };
}
