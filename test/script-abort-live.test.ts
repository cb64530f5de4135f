/**
 * `abortOnFail` is watched live on every threshold a script can write: one scoped to a
 * scenario stops the run (108), and one on `iterations` sees the live count (no false abort).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-abort-live-');
const { script } = t;

test('an abortOnFail threshold scoped to a scenario stops the run: exit 108', async () => {
  const f = script(
    'scoped.ts',
    `import http from 'tickstorm/http';
export const options = {
  scenarios: { hold: { executor: 'constant-vus', vus: 2, duration: '60s' } },
  thresholds: { 'http_req_failed{scenario:hold}': [{ threshold: 'rate<0.5', abortOnFail: true }] },
};
export default async function () { await http.get('$URL/fail'); }
`,
  );
  const json = join(t.dir, 'scoped.json');
  const t0 = Date.now();
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 108, r.stderr + r.stdout);
  assert.ok(Date.now() - t0 < 30_000, 'stopped well before the 60 s');
  assert.match(JSON.parse(readFileSync(json, 'utf8')).abortedBy, /http_req_failed\{scenario:hold\}/);
});

test('an abortOnFail threshold on iterations sees the live count: the run is not aborted', async () => {
  const f = script(
    'iterations.ts',
    `import http from 'tickstorm/http';
export const options = {
  scenarios: { s: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '3s', preAllocatedVUs: 4 } },
  thresholds: {
    iterations: [{ threshold: 'count>0', abortOnFail: true }],
    'iterations{scenario:s}': [{ threshold: 'count>0', abortOnFail: true }],
  },
};
export default async function () { await http.get('$URL/ok'); }
`,
  );
  const json = join(t.dir, 'iterations.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.abortedBy, undefined);
  // every one of the 60 scheduled iterations ran, or was dropped for want of a free VU (a
  // request slower than 100 ms on a loaded box, with two VUs): the run went to its end
  const dropped = j.metrics.dropped_iterations?.values.count ?? 0;
  assert.equal(j.metrics.iterations.values.count + dropped, 60);
  assert.ok(j.metrics.iterations.values.count >= 50, `iterations ${j.metrics.iterations.values.count}`);
});

test('abortOnFail on dropped_iterations (counted at the end) is a configuration error: 104', async () => {
  const f = script(
    'dropped.ts',
    `export const options = { thresholds: { dropped_iterations: [{ threshold: 'count<1', abortOnFail: true }] } };
export default async function () {}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 104, r.stderr + r.stdout);
  assert.match(r.stderr, /abortOnFail is not watched on dropped_iterations/);
});
