/**
 * Makes the built-in modules importable from a script anywhere on disk, as k6's `k6/http`:
 * a Node module-resolution hook (module.register) maps the bare specifiers to the files here.
 *
 *   tickstorm          -> api.ts      (check, sleep, group, fail, metrics, http)
 *   tickstorm/http     -> http.ts
 *   tickstorm/metrics  -> metrics.ts
 *   tickstorm/ws       -> ws.ts       (WebSocket: connect, send, next, on('message'))
 *   tickstorm/execution -> execution.ts (k6/execution: exec.vu, exec.scenario, exec.test)
 *   k6, k6/http, k6/metrics, k6/execution: the same files (a k6 script ports with `await` added)
 *   tickstorm/data, k6/data -> data.ts (SharedArray); tickstorm/encoding, k6/encoding -> encoding.ts
 *   k6-summary, https://jslib.k6.io/k6-summary/VERSION/index.js -> text-summary.ts (textSummary;
 *                      that URL is never fetched: it names this file)
 *   k6-utils, https://jslib.k6.io/k6-utils/VERSION/index.js -> k6-utils.ts (randomIntBetween, ...)
 *   tickstorm/url, https://jslib.k6.io/url/VERSION/index.js -> k6-url.ts (URL, URLSearchParams)
 *   @tickstorm/loadlab, @tickstorm/loadlab/swarm -> the lab's own entry points (what a
 *                      `tickstorm swarm` user file imports, with no node_modules around it)
 *
 * The hook also loads the script's own directory as ES modules (a .ts/.js file with no
 * package.json around it would otherwise be CommonJS, and tsx hands the files it imports
 * back as CommonJS), and a package that a file there imports but cannot find (no
 * node_modules around it) resolves from the lab's own dependencies (ws, undici, ...). Registered once per thread, before
 * the script is imported (the CLI's main thread and each generator worker); swarm user files
 * are loaded the same way (swarm/user-file.ts).
 */
import { register } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

const here = (f: string) => new URL(`./${f}`, import.meta.url).href;

export const BUILTIN_MODULES: Readonly<Record<string, string>> = {
  tickstorm: here('api.ts'),
  'tickstorm/http': here('http.ts'),
  'tickstorm/metrics': here('metrics.ts'),
  'tickstorm/ws': here('ws.ts'),
  'tickstorm/execution': here('execution.ts'),
  k6: here('api.ts'),
  'k6/http': here('http.ts'),
  'k6/metrics': here('metrics.ts'),
  'k6/execution': here('execution.ts'),
  'tickstorm/data': here('data.ts'),
  'tickstorm/encoding': here('encoding.ts'),
  'k6/data': here('data.ts'),
  'k6/encoding': here('encoding.ts'),
  'k6-summary': here('text-summary.ts'),
  'k6-utils': here('k6-utils.ts'),
  'tickstorm/url': here('k6-url.ts'),
  '@tickstorm/loadlab': here('../index.ts'),
  '@tickstorm/loadlab/swarm': here('../swarm/index.ts'),
};

/** k6's modules that are not here, each with what a script uses instead (the resolve hook's message). */
export const K6_MODULES_INSTEAD: Readonly<Record<string, string>> = {
  'k6/ws':
    "k6's callback WebSocket API is not here; tickstorm/ws is a promise API: const s = await ws.connect(url); s.send(text); await s.next() (docs/scripts.md)",
  'k6/crypto': "use Node's node:crypto (import { createHash, createHmac, randomBytes } from 'node:crypto')",
  'k6/timers': 'setTimeout, setInterval and their clear functions are globals here',
  'k6/net/grpc': 'there is no gRPC client',
  'k6/browser': 'there is no browser module',
  'k6/html': 'there is no HTML parser: read res.body as text',
  'k6/secrets': 'read secrets from __ENV (-e NAME=VALUE, or the environment)',
};

const HOOK = `
let map = {}; let dirs = []; let lab = '';
const instead = ${JSON.stringify(K6_MODULES_INSTEAD)};
export function initialize(data) { map = data.map; dirs = data.dirs; lab = data.lab; }
const bare = (s) => !/^(\\.|\\/|[a-z][a-z0-9+.-]*:)/i.test(s);
export async function resolve(specifier, context, next) {
  // k6's jslib k6-summary, k6-utils and url: the local files, never fetched
  const jslib = /^https:\\/\\/jslib\\.k6\\.io\\/(k6-summary|k6-utils|url)\\/[0-9.]+\\/index\\.js$/.exec(specifier);
  const hit = jslib !== null ? map[jslib[1] === 'url' ? 'tickstorm/url' : jslib[1]] : map[specifier];
  if (hit !== undefined) return next(hit, context);
  if (/^https?:[/][/]/i.test(specifier))
    throw Object.assign(new Error("remote modules are not fetched: '" + specifier + "' (only jslib's k6-summary, k6-utils and url URLs resolve, to local files; save the module beside the script and import it by its path)"), { code: 'ERR_MODULE_NOT_FOUND' });
  if (/^(tickstorm|k6)[/]/.test(specifier)) {
    const why = instead[specifier] ?? (specifier.startsWith('k6/experimental/') ? "k6's experimental modules are not here" : undefined);
    throw Object.assign(new Error("'" + specifier + "' is not a built-in module" + (why === undefined ? '' : ': ' + why) + ' (there are: ' + Object.keys(map).join(', ') + ')'), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  let r;
  try {
    r = await next(specifier, context);
  } catch (e) {
    // a package the lab has (ws, undici, ...), imported by a file with no node_modules of its own
    const from = context.parentURL ?? '';
    if (!bare(specifier) || !dirs.some((d) => from.startsWith(d)) || from.includes('/node_modules/')) throw e;
    try {
      r = await next(specifier, { ...context, parentURL: lab });
    } catch {
      throw e; // missing everywhere: the error names the importing file, not the lab
    }
  }
  // a file the script imports itself comes back from tsx as CommonJS, with a query of its own
  const url = r.url.replace(/(%3F|\\?).*$/, '');
  if (url.startsWith('file:') && !url.includes('/node_modules/') && dirs.some((d) => url.startsWith(d))
      && /\\.(ts|js|mts|mjs)$/.test(new URL(url).pathname))
    return { ...r, url, format: 'module' };
  return r;
}`;

const KEY = Symbol.for('tickstorm.script.hook');
const g = globalThis as unknown as Record<symbol, Set<string> | undefined>;

/** Registers the hook in this thread for scripts under `scriptPath`'s directory (idempotent per directory). */
export function registerScriptModules(scriptPath: string): void {
  const dir = `${pathToFileURL(dirname(scriptPath)).href}/`;
  const done = (g[KEY] ??= new Set());
  if (done.has(dir)) return;
  done.add(dir);
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`, {
    data: { map: BUILTIN_MODULES, dirs: [dir], lab: import.meta.url },
  });
}
