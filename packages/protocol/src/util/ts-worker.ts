/**
 * Worker threads that run TypeScript. `new Worker(file.ts)` only works when the parent's
 * loader flags are inherited (`node --import tsx`); the `tickstorm` CLI registers tsx via its
 * API instead, so the worker starts from a tiny JS bootstrap that registers tsx and then
 * imports the .ts entry. Works under both.
 *
 *   const w = spawnTsWorker(new URL('./my-worker.ts', import.meta.url), { workerData: { n: 1 } });
 *
 * `workerData` must be an object (or absent): the bootstrap adds `__entry` to it. Without an
 * explicit `execArgv` the worker inherits the parent's, unless the parent was started with a
 * main-script-only flag (`-e`/`--eval`, `-p`/`--print`, `--input-type`), which a worker
 * rejects: then it gets none (the bootstrap is all it needs to load TypeScript).
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOTSTRAP = new URL('./ts-worker-bootstrap.mjs', import.meta.url);
const MAIN_ONLY = /^(-e|--eval|-p|--print|-pe|--input-type)(=|$)/;

export function spawnTsWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const data: unknown = options.workerData;
  if (data !== undefined && (data === null || typeof data !== 'object' || Array.isArray(data))) {
    throw new TypeError('spawnTsWorker: workerData must be a plain object');
  }
  const inherit = options.execArgv === undefined && !hasMainOnlyFlag(process.execArgv);
  return new Worker(BOOTSTRAP, {
    ...options,
    ...(options.execArgv === undefined && !inherit ? { execArgv: [] } : {}),
    workerData: { ...(data as Record<string, unknown> | undefined), __entry: entry.href },
  });
}

/** True if `argv` holds a flag that only a main script accepts (a worker would refuse it). */
export function hasMainOnlyFlag(argv: readonly string[]): boolean {
  return argv.some((a) => MAIN_ONLY.test(a));
}
