/** Small helpers shared by the generator benchmarks: child processes, medians, strict --flags. */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export { badFlag, type FlagSpec, type FlagValues, parseFlags } from '@tickstorm/trading/bench-flags';

/** Forks a TypeScript child with IPC that prints one JSON line ({"port"}) when ready. */
export async function startChild(
  file: URL,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(file), [], {
    env,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: (JSON.parse(String(line)) as { port: number }).port };
}

/** Asks a child for its IPC 'stats'. */
export async function childStats<T>(child: ChildProcess): Promise<T> {
  child.send({ type: 'stats' });
  const [m] = (await once(child, 'message')) as [T];
  return m;
}

/** Runs a command to completion; resolves with its stdout (rejects on a non-zero exit). */
export function runCommand(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited with ${code}`)),
    );
  });
}
