/**
 * A k6 job's environment keeps its meaning: a script run reads k6's K6_VUS, K6_ITERATIONS,
 * K6_OUT, K6_SUMMARY_TREND_STATS, ... as the flags they stand for (TICKSTORM_* wins over them,
 * the command line over both), and a bad value names the variable. Before, they were silently
 * ignored: K6_ITERATIONS=4 ran one iteration.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-k6-env-');

const one = () =>
  t.script(
    'one.js',
    `import http from 'k6/http';
export default async function () { await http.get('$URL/ok'); }
`,
  );

test('K6_ITERATIONS, K6_VUS, K6_OUT and K6_SUMMARY_TREND_STATS act as their flags', async () => {
  const out = join(t.dir, 'k6env.json');
  const r = await run(['run', one(), '-q'], {
    K6_ITERATIONS: '4',
    K6_VUS: '2',
    K6_OUT: `json=${out}`,
    K6_SUMMARY_TREND_STATS: 'avg,p(99.9)',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /default \(shared-iterations vus=2 iterations=4/);
  assert.match(r.stdout, /iterations\.+: 4 /);
  assert.match(r.stdout, /http_req_duration\.+: avg=\S+ p\(99\.9\)=\S+\n/);
  const reqs = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.includes('"type":"Point"') && l.includes('"metric":"http_reqs"'));
  assert.equal(reqs.length, 4);
});

test('TICKSTORM_* and the command line win over K6_*; a bad K6_ value names the variable (104)', async () => {
  const r = await run(['run', one(), '-q', '-i', '1'], {
    K6_ITERATIONS: '7',
    TICKSTORM_VUS: '1',
    K6_VUS: '3',
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /shared-iterations vus=1 iterations=1/);
  const bad = await run(['run', one(), '-i', '1'], { K6_VUS: 'x' });
  assert.equal(bad.code, 104);
  assert.match(bad.stderr, /--vus \(from K6_VUS\) must be a positive integer \(got 'x'\)/);
});
