/**
 * k6's --no-thresholds: a script's thresholds (options.thresholds, --threshold) are not checked:
 * a failing one does not make 99, an abortOnFail one does not stop the run; a bad one is still
 * 104, and the built-in scenarios and --master refuse the flag (104).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-no-thresholds-');

test('--no-thresholds: a failing threshold and a failing --threshold decide nothing (0), abortOnFail stops nothing', async () => {
  const f = t.script(
    'failing.js',
    `import http from 'k6/http';
export const options = {
  iterations: 3,
  thresholds: {
    http_req_duration: ['max<0.0001'],
    http_req_failed: [{ threshold: 'rate<0.5', abortOnFail: true }],
  },
};
export default async function () { await http.get('$URL/fail'); }
`,
  );
  const checked = await run(['run', f]);
  // checked, they fail (99; 108 when the live watch saw it first)
  assert.ok([99, 108].includes(checked.code), checked.stderr + checked.stdout);
  const before = t.srv.paths.get('/fail') ?? 0;
  const r = await run(['run', f, '--no-thresholds', '--threshold', 'p95<0.001ms']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal((t.srv.paths.get('/fail') ?? 0) - before, 3, 'every iteration ran');
  assert.doesNotMatch(r.stdout, /Thresholds:/);
  assert.match(r.stdout, /DONE: thresholds not checked \(--no-thresholds\) \(exit code 0\)/);
  const env = await run(['run', f], { TICKSTORM_NO_THRESHOLDS: 'true' });
  assert.equal(env.code, 0, env.stderr + env.stdout);
});

test('--no-thresholds: a bad threshold is still 104; the built-in scenarios and --master refuse the flag', async () => {
  const f = t.script(
    'bad.js',
    `export const options = { thresholds: { nope: ['p(95)<1'] } };
export default async function () {}
`,
  );
  const bad = await run(['run', f, '--no-thresholds']);
  assert.equal(bad.code, 104, bad.stderr);
  assert.match(bad.stderr, /unknown metric 'nope'/);
  const builtIn = await run(['run', 'order-stress', '--no-thresholds']);
  assert.equal(builtIn.code, 104, builtIn.stderr);
  assert.match(builtIn.stderr, /--no-thresholds leaves out a script's thresholds/);
  const master = await run(['run', f, '--master', '--no-thresholds']);
  assert.equal(master.code, 104, master.stderr);
  assert.match(master.stderr, /--no-thresholds: not supported with --master or --worker/);
});
