/**
 * `tickstorm serve` as a child process for the CLI tests: every port 0 (the OS picks), the
 * URLs read from what it prints, ready once it printed its "pid N;" line (no sleep), and a
 * graceful SIGTERM stop awaited in teardown.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN } from './cli.ts';

export interface ServeChild {
  child: ChildProcess;
  /** service name -> http://host:port */
  urls: Record<string, string>;
  stop(): Promise<void>;
}

const ZERO_PORTS = ['market-data', 'execution-engine', 'risk-manager', 'api'].flatMap((s) => [
  `--${s}-port`,
  '0',
]);

/**
 * Starts `serve ...args` with every port 0. `prefix` runs it under another command (e.g.
 * `['nice', '-n', '19']`).
 */
export async function startServeChild(
  args: readonly string[],
  o: { env?: NodeJS.ProcessEnv; prefix?: readonly string[]; timeoutMs?: number } = {},
): Promise<ServeChild> {
  const argv = [process.execPath, BIN, 'serve', ...args, ...ZERO_PORTS];
  const [cmd, ...rest] = [...(o.prefix ?? []), ...argv];
  const child = spawn(cmd, rest, { env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const urls: Record<string, string> = {};
  let out = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const limit = o.timeoutMs ?? 60_000;
      const timer = setTimeout(() => reject(new Error(`serve not ready within ${limit} ms:\n${out}`)), limit);
      child.stdout!.on('data', (d) => {
        out += String(d);
        if (!/^pid \d+;/m.test(out)) return;
        clearTimeout(timer);
        for (const m of out.matchAll(/^(market-data|execution-engine|risk-manager|api)\s+(http:\/\/\S+)/gm)) {
          urls[m[1]] = m[2];
        }
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${code}):\n${out}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  return {
    child,
    urls,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
