/**
 * A script's `tags` (k6's options.tags and a scenario's own) are on every sample it streams
 * with --out json; a scenario's `env` (k6's __ENV, which scripts do not have) is refused, not
 * dropped in silence.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-out-tags-');
test('options.tags and a scenario’s tags go on every streamed sample', async () => {
  const f = join(t.dir, 'tags.ts');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter } from 'tickstorm/metrics';
const hits = new Counter('hits');
export const options = {
  tags: { testid: 'nightly-7' },
  scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 3, tags: { team: 'orders' } } },
};
export default async function () {
  const r = await http.get('${t.srv.url.replace(/\/$/, '')}/ok');
  check(r, { ok: (x) => x.status === 200 });
  hits.add(1);
}
`,
  );
  const lines = join(t.dir, 'tags.jsonl');
  const r = await run(['run', f, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point');
  assert.deepEqual([...new Set(points.map((p) => p.metric))].sort(), [
    'checks',
    'hits',
    'http_req_duration',
    'http_req_failed',
    'http_reqs',
    'iterations',
  ]);
  for (const p of points) {
    assert.equal(p.data.tags.testid, 'nightly-7', JSON.stringify(p));
    assert.equal(p.data.tags.team, 'orders', JSON.stringify(p));
    assert.equal(p.data.tags.scenario, 's');
  }
});

test('a custom metric’s add() tags, and its group, go on its streamed samples as in k6', async () => {
  const f = join(t.dir, 'addtags.ts');
  writeFileSync(
    f,
    `import { group } from 'tickstorm';
import { Counter, Rate, Trend } from 'tickstorm/metrics';
const c = new Counter('c_hits');
const r = new Rate('r_ok');
const w = new Trend('w_wait');
export const options = { iterations: 2, thresholds: { c_hits: ['count==2', 'rate>0'], 'w_wait{kind:c}': ['max<10'] } };
export default async function () {
  c.add(1, { kind: 'a' });
  r.add(true, { kind: 'b' });
  await group('g', async () => { w.add(5, { kind: 'c' }); });
  w.add(7);
}
`,
  );
  const lines = join(t.dir, 'addtags.jsonl');
  const res = await run(['run', f, '--out', `json=${lines}`]);
  assert.equal(res.code, 0, res.stderr + res.stdout);
  const all = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // a Metric line lists the metric's own thresholds, as k6's does (a tagged key is not its own)
  const declared = Object.fromEntries(
    all.filter((l) => l.type === 'Metric').map((l) => [l.metric, l.data.thresholds]),
  );
  assert.deepEqual(declared.c_hits, ['count==2', 'rate>0']);
  assert.deepEqual(declared.w_wait, []);
  const points = all.filter((l) => l.type === 'Point' && ['c_hits', 'r_ok', 'w_wait'].includes(l.metric));
  const seen = points.map((p) => [p.metric, p.data.value, p.data.tags]);
  const one = [
    ['c_hits', 1, { kind: 'a', scenario: 'default' }],
    ['r_ok', 1, { kind: 'b', scenario: 'default' }],
    ['w_wait', 5, { kind: 'c', group: '::g', scenario: 'default' }],
    ['w_wait', 7, { scenario: 'default' }],
  ];
  assert.deepEqual(seen, [...one, ...one]);
});

test('a scenario’s env and tags that are not strings exit 104 naming them', async () => {
  const f = join(t.dir, 'env.ts');
  writeFileSync(
    f,
    `export const options = {
  tags: { build: 7 },
  scenarios: { s: { executor: 'shared-iterations', env: { BASE: 7 } } },
};
export default async function () {}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /options\.scenarios\.s\.env must be an object of strings/);
  assert.match(r.stderr, /options\.tags must be an object of strings/);
});
