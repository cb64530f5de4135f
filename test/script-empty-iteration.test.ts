/**
 * An iteration that awaits nothing real (`export default async function () {}`) ends in a
 * microtask: a VU loop that restarted it from there would never let the event loop turn, so
 * the run's end never came (a time-based run spun a core for ever). The closed model puts the
 * next start off to setImmediate after a chain of such iterations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-empty-iteration-');

for (const [name, fn] of [
  ['an async function awaiting nothing', 'async function () {}'],
  ['a synchronous function', 'function () {}'],
] as const) {
  test(`${name}: a 1 s constant-vus run ends on time and counts its iterations`, async () => {
    const f = t.script(
      `empty-${fn.startsWith('async') ? 'async' : 'sync'}.js`,
      `export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '1s', gracefulStop: '0s' } },
};
export default ${fn}
`,
    );
    const json = join(t.dir, `${name.length}.json`);
    const t0 = Date.now();
    const r = await run(['run', f, '--json', json]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.ok(j.metrics.iterations.values.count > 1000, `iterations ${j.metrics.iterations.values.count}`);
  });
}
