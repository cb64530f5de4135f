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
  const streamed = points.map((p) => p.metric).filter((m) => m !== 'vus' && m !== 'vus_max');
  assert.deepEqual([...new Set(streamed)].sort(), [
    'checks',
    'data_received',
    'data_sent',
    'hits',
    'http_req_blocked',
    'http_req_connecting',
    'http_req_duration',
    'http_req_failed',
    'http_req_receiving',
    'http_req_sending',
    'http_req_tls_handshaking',
    'http_req_waiting',
    'http_reqs',
    'iteration_duration',
    'iterations',
  ]);
  // vus and vus_max: once a second for the whole test, with the run's tags only (script-out-vus)
  for (const p of points.filter((x) => x.metric !== 'vus' && x.metric !== 'vus_max')) {
    assert.equal(p.data.tags.testid, 'nightly-7', JSON.stringify(p));
    assert.equal(p.data.tags.team, 'orders', JSON.stringify(p));
    assert.equal(p.data.tags.scenario, 's');
    // every VU sample carries k6's group tag: '' outside any group()
    assert.equal(p.data.tags.group, '', JSON.stringify(p));
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
    // outside any group() too, as k6's: group ''
    ['c_hits', 1, { kind: 'a', group: '', scenario: 'default' }],
    ['r_ok', 1, { kind: 'b', group: '', scenario: 'default' }],
    ['w_wait', 5, { kind: 'c', group: '::g', scenario: 'default' }],
    ['w_wait', 7, { group: '', scenario: 'default' }],
  ];
  assert.deepEqual(seen, [...one, ...one]);
});

test('HTTP Points carry k6’s tags: group, url, proto, params.tags beside method, name, status, expected_response', async () => {
  const f = t.script(
    'httptags.js',
    `import http from 'k6/http';
import { group } from 'k6';
export const options = { iterations: 1, tags: { testid: 't1' } };
export default async function () {
  await group('shop', async () => {
    await http.get('$URL/items?page=2', { tags: { kind: 'list' } });
    await http.post(http.url\`$URL/fail?id=\${7}\`, 'x');
  });
  await http.get('http://127.0.0.1:1/refused', { timeout: '2s' });
}
`,
  );
  const lines = join(t.dir, 'httptags.jsonl');
  const r = await run(['run', f, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point');
  const of = (metric: string) => points.filter((p) => p.metric === metric).map((p) => p.data.tags);
  const base = t.srv.url.replace(/\/$/, '');
  const expected = [
    {
      testid: 't1',
      kind: 'list',
      group: '::shop',
      method: 'GET',
      name: '/items',
      proto: 'HTTP/1.1',
      status: '200',
      url: `${base}/items?page=2`,
      expected_response: 'true',
      scenario: 'default',
    },
    {
      testid: 't1',
      group: '::shop',
      method: 'POST',
      name: `${base}/fail?id=\${}`,
      proto: 'HTTP/1.1',
      status: '500',
      url: `${base}/fail?id=7`,
      expected_response: 'false',
      scenario: 'default',
    },
    {
      testid: 't1',
      group: '',
      method: 'GET',
      name: '/refused',
      proto: '',
      status: '0',
      url: 'http://127.0.0.1:1/refused',
      expected_response: 'false',
      scenario: 'default',
    },
  ];
  for (const m of ['http_req_duration', 'http_reqs', 'http_req_failed']) assert.deepEqual(of(m), expected, m);
  assert.deepEqual(
    points.filter((p) => p.metric === 'http_req_failed').map((p) => p.data.value),
    [0, 1, 1],
  );
});

test('dropped_iterations and data_received are streamed: their Points add up to the summary', async () => {
  const f = t.script(
    'dropped.js',
    `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: {
    open: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1, maxVUs: 1 },
  },
};
export default async function () {
  await http.get('$URL/dropped');
  await sleep(0.2);
}
`,
  );
  const lines = join(t.dir, 'dropped.jsonl');
  const json = join(t.dir, 'dropped.json');
  const r = await run(['run', f, '--out', `json=${lines}`, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const all = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const metrics = JSON.parse(readFileSync(json, 'utf8')).metrics;
  const sum = (metric: string) =>
    all.filter((l) => l.type === 'Point' && l.metric === metric).reduce((a, l) => a + l.data.value, 0);
  assert.ok(metrics.dropped_iterations.values.count > 10, JSON.stringify(metrics.dropped_iterations));
  assert.equal(sum('dropped_iterations'), metrics.dropped_iterations.values.count);
  assert.equal(sum('data_received'), metrics.data_received.values.count);
  assert.ok(metrics.data_received.values.count > 0);
  const declared = Object.fromEntries(
    all.filter((l) => l.type === 'Metric').map((l) => [l.metric, [l.data.type, l.data.contains]]),
  );
  assert.deepEqual(declared.dropped_iterations, ['counter', 'default']);
  assert.deepEqual(declared.data_received, ['counter', 'data']);
  const drop = all.find((l) => l.type === 'Point' && l.metric === 'dropped_iterations');
  assert.deepEqual(drop.data.tags, { scenario: 'open' });
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

test('--out json on a master is refused (104): the samples are the workers’, its file would stay empty', async () => {
  const f = t.script('master-out.js', 'export default async function () {}\n');
  const r = await run(['run', f, '--master', '--out', `json=${join(t.dir, 'master.jsonl')}`]);
  assert.equal(r.code, 104, r.stderr + r.stdout);
  assert.match(r.stderr, /--out json=FILE: a master runs no load; give it to each --worker/);
});

test('--tag NAME=VALUE (k6’s): on every streamed sample, over options.tags, under a scenario’s own; thresholds select it; a bad one is 104', async () => {
  const f = t.script(
    'cli-tags.js',
    `import http from 'k6/http';
export const options = {
  tags: { testid: 'from-options', team: 'orders' },
  scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 2, tags: { team: 'scenario' } } },
  thresholds: { 'http_reqs{testid:ci-7}': ['count==2'], 'http_reqs{build:42}': ['count==2'] },
};
export default async function () { await http.get('$URL/cli-tag'); }
`,
  );
  const lines = join(t.dir, 'cli-tags.jsonl');
  const r = await run([
    'run',
    f,
    '--tag',
    'testid=ci-7',
    '--tag',
    'build=42',
    '--tag',
    'team=cli',
    '--out',
    `json=${lines}`,
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point');
  assert.ok(points.length > 0);
  for (const p of points.filter((x) => x.metric !== 'vus' && x.metric !== 'vus_max'))
    assert.deepEqual([p.data.tags.testid, p.data.tags.build, p.data.tags.team], ['ci-7', '42', 'scenario']);
  const bad = await run(['run', f, '--tag', 'novalue']);
  assert.equal(bad.code, 104, bad.stderr);
  assert.match(bad.stderr, /--tag 'novalue': expected NAME=VALUE/);
  const builtIn = await run(['run', 'order-stress', '--tag', 'a=b']);
  assert.equal(builtIn.code, 104, builtIn.stderr);
  assert.match(builtIn.stderr, /--tag tags a script's samples/);
});
