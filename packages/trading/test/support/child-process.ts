/**
 * Child processes for the CLI and script tests: run a command to completion (bounded), or
 * start `tickstorm serve` and read the URLs it prints (port 0 works through the flags).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const TICKSTORM = join(REPO_ROOT, 'bin', 'tickstorm.js');

/** True while `pid` runs (a process that exited and is not reaped yet, a zombie, has ended). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Ends `pid` with `signal` (and then removes `dir`) if this test process dies before it stopped
 * it itself: killed by a CI timeout or a Ctrl-C on the runner, its teardown never runs. A `sh`
 * in a process group of its own waits on a pipe from this process, which the kernel closes
 * however this process ends. Returns the cancel, to call once the test has stopped `pid`.
 */
export function reapIfTestDies(pid: number, signal: 'TERM' | 'QUIT' | 'KILL', dir?: string): () => void {
  const rm =
    dir === undefined
      ? ''
      : `; while kill -0 ${pid} 2>/dev/null; do sleep 0.1; done; rm -rf '${dir.replaceAll("'", "'\\''")}'`;
  const w = spawn('sh', ['-c', `cat >/dev/null; kill -${signal} ${pid} 2>/dev/null${rm}`], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  w.stdin?.on('error', () => {});
  w.unref();
  (w.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let done = false;
  return () => {
    if (done || w.pid === undefined) return;
    done = true;
    try {
      process.kill(-w.pid, 'SIGKILL'); // the sh and its cat: the pipe closing later acts on nothing
    } catch {
      // already gone
    }
    w.stdin?.destroy();
  };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Resolves when `child` has exited and its pipes closed; rejects after `timeoutMs` (and kills it). */
export function finished(child: ChildProcess, timeoutMs = 60_000): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${child.spawnfile} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs?: number,
): Promise<Finished> {
  return finished(
    spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
    timeoutMs,
  );
}

/** `name  http://host:port ...` lines as printed by `tickstorm serve` (and start_trading.sh). */
export function parseUrls(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^\s*(market-data|execution-engine|risk-manager|api)\s+(https?:\/\/\S+)/gm)) {
    out[m[1]] = m[2];
  }
  return out;
}

/** `tickstorm serve` flags that let the OS pick every service's port. */
export const ZERO_PORT_FLAGS: readonly string[] = [
  '--market-data-port',
  '0',
  '--execution-engine-port',
  '0',
  '--risk-manager-port',
  '0',
  '--api-port',
  '0',
];

/**
 * `tickstorm run` flags that aim the load at a `serve`'s four printed URLs, with no benchmark
 * file and no live display.
 */
export function runTargetFlags(urls: Record<string, string>): string[] {
  return [
    '--market-data-url',
    urls['market-data'],
    '--orders-url',
    urls['execution-engine'],
    '--risk-url',
    urls['risk-manager'],
    '--api-url',
    urls.api,
    '--no-bench',
    '--no-watch',
  ];
}

/** A rejected order (unknown symbol), so the rejections-by-reason family has a sample. */
export async function postRejectedOrder(urls: Record<string, string>): Promise<void> {
  await fetch(`${urls['execution-engine']}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ symbol: 'NOPE', side: 'buy', type: 'limit', quantity: 1, price: 1 }),
  });
}

export interface Served {
  child: ChildProcess;
  urls: Record<string, string>;
  /** Everything printed so far, and the exit once it comes. */
  done: Promise<Finished>;
}

/** Starts `node bin/tickstorm.js serve ...args` and resolves once it printed its "pid N;" line. */
export async function startServe(args: readonly string[], timeoutMs = 60_000): Promise<Served> {
  const child = spawn(process.execPath, [TICKSTORM, 'serve', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = finished(child, 10 * timeoutMs);
  if (child.pid !== undefined) {
    const cancel = reapIfTestDies(child.pid, 'TERM');
    done.then(cancel, cancel);
  }
  let text = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer | string) => {
      text += String(d);
      if (/^pid \d+;/m.test(text)) resolve();
    });
    done.then(
      (f) => reject(new Error(`serve exited (${f.code}) before it was ready:\n${f.stdout}\n${f.stderr}`)),
      reject,
    );
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`serve not ready within ${timeoutMs} ms:\n${text}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { child, urls: parseUrls(text), done };
}

/**
 * Temporary data dirs and `serve` children for one describe block; `cleanup()` (in `after`)
 * kills any child still running and removes the dirs.
 */
export function serveSandbox(prefix: string) {
  const dirs: string[] = [];
  const children: Served[] = [];
  return {
    tmp(): string {
      const d = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    async serve(args: readonly string[], timeoutMs?: number): Promise<Served> {
      const s = await startServe(args, timeoutMs);
      children.push(s);
      return s;
    },
    async cleanup(): Promise<void> {
      for (const s of children) {
        if (s.child.exitCode === null) {
          s.child.kill('SIGKILL');
          await s.done.catch(() => undefined);
        }
      }
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
