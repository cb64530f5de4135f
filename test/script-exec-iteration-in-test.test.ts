/**
 * k6/execution's exec.scenario.iterationInTest and iterationInInstance: the iteration's number in
 * its scenario (0-based, unique over every generator thread), k6's way to give each iteration its
 * own data row (`users[exec.scenario.iterationInTest]`). Before, both threw and stopped the run
 * (107). Over shared-iterations and an arrival-rate schedule they run 0 .. n - 1, once each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-exec-iteration-');

/** The `/PREFIX/A/B` paths the target saw, as [A, B] pairs sorted by A. */
function seen(prefix: string): [number, number][] {
  return [...t.srv.paths.entries()]
    .filter(([p]) => p.startsWith(`/${prefix}/`))
    .flatMap(([p, n]) =>
      Array.from({ length: n }, () => p.split('/').slice(2).map(Number) as [number, number]),
    )
    .sort((a, b) => a[0] - b[0]);
}

test('shared-iterations over 2 threads: iterationInTest and iterationInInstance run 0..5 once each', async () => {
  const f = t.script(
    'shared.js',
    `import exec from 'k6/execution';
import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 6 } } };
export default async function () {
  await http.get('$URL/shared/' + exec.scenario.iterationInTest + '/' + exec.scenario.iterationInInstance);
}
`,
  );
  const r = await run(['run', f, '--workers', '2']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(
    seen('shared'),
    [0, 1, 2, 3, 4, 5].map((i) => [i, i]),
  );
});

test('constant-arrival-rate: each iteration its own number, 0..n-1; exec.scenario lists them', async () => {
  const f = t.script(
    'rate.js',
    `import exec from 'k6/execution';
import http from 'k6/http';
export const options = {
  scenarios: { r: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '1s', preAllocatedVUs: 4 } },
};
export default async function () {
  await http.get('$URL/rate/' + exec.scenario.iterationInTest + '/' + Object.keys(exec.scenario).length);
}
`,
  );
  const r = await run(['run', f, '--workers', '2']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const got = seen('rate');
  assert.ok(got.length >= 15, JSON.stringify(got));
  assert.deepEqual(
    got.map(([i]) => i),
    got.map((_, k) => k),
  );
  assert.ok(got.every(([, keys]) => keys === 6));
});
