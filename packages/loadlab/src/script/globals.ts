/**
 * k6's globals in a script: `__ENV`, `__VU` and `__ITER`, getters on globalThis that read the
 * running iteration's store (runtime.ts), so each VU sees its own values with no per-iteration
 * work besides the store's fields.
 *
 *   __VU     the VU's number, 1-based and unique across the whole test (every generator thread,
 *            every worker of a `run --master`); 0 in setup(), teardown() and at load time
 *   __ITER   the VU's iterations before this one (0-based); 0 outside an iteration
 *   __ENV    the process environment with -e/--env over it; inside a scenario with its own
 *            `env`, that env over it (a fresh object per scenario, shared by its VUs)
 *   open()   k6's: a file's text (or bytes, 'b'), relative to the script's directory, at load
 *            time only (data.ts)
 */
import { openFile } from './data.ts';
import { runtime } from './runtime.ts';

const KEY = Symbol.for('tickstorm.script.globals');
const g = globalThis as unknown as Record<symbol, boolean | undefined>;

/**
 * Sets k6's __ENV (the process environment with `flags` over it), the globals' getters and
 * `open()` (relative to `scriptDir`) once per thread.
 */
export function installGlobals(flags: Readonly<Record<string, string>> | undefined, scriptDir: string): void {
  const rt = runtime();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, flags);
  rt.env = env;
  rt.scriptDir = scriptDir;
  if (g[KEY] === true) return;
  g[KEY] = true;
  const als = rt.als;
  Object.defineProperties(globalThis, {
    __VU: { get: () => als.getStore()?.vu ?? 0, configurable: true },
    __ITER: { get: () => als.getStore()?.iter ?? 0, configurable: true },
    open: {
      value: (path: string, mode?: string) => openFile(rt.scriptDir, path, mode),
      configurable: true,
      writable: true,
    },
    __ENV: {
      get: () => als.getStore()?.exec?.env ?? rt.env,
      set: (v: Record<string, string>) => {
        rt.env = v;
      },
      configurable: true,
    },
  });
}
