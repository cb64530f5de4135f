/**
 * As k6 counts them: setup()'s and teardown()'s requests, checks and metrics are in the run's
 * http_reqs, http_req_duration, checks, data_sent and data_received and in the thresholds on
 * them (not in a scenario's: k6 gives them no `scenario` tag; a threshold on
 * `{group:::setup}` takes them alone), their checks in the groups `setup` and `teardown` of
 * root_group (handleSummary, --summary-export) and the text summary, never as iterations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { LIFECYCLE_HEAD, LIFECYCLE_SETUP } from './support/lifecycle-script.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-lifecycle-metrics-');

test('setup() and teardown() count in the metrics, thresholds and groups, as in k6', async () => {
  const data = join(t.dir, 'data.json');
  const exported = join(t.dir, 'export.json');
  // every path the same length: each request sends as many bytes; each body is '{}'
  const f = t.script(
    'lifecycle.js',
    `${LIFECYCLE_HEAD}export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 2 } },
  thresholds: {
    http_reqs: ['count==5'],
    http_req_duration: ['count==5'],
    'http_reqs{scenario:s}': ['count==2'],
    'http_req_duration{group:::setup}': ['count==1'],
    checks: ['rate==1'],
    made: ['count==2'],
    'data_sent{scenario:s}': ['count>0'],
  },
};
${LIFECYCLE_SETUP}export default async function () {
  const r = await http.get('$URL/it');
  check(r, { 'it ok': (x) => x.status === 200 });
}
export async function teardown() {
  await http.get('$URL/t1');
  const r = await http.get('$URL/t2');
  check(r, { 'teardown ok': (x) => x.status === 200 });
  made.add(1);
}
export function handleSummary(data) {
  return { ${JSON.stringify(data)}: JSON.stringify(data), stdout: 'summary handled\\n' };
}
`,
  );
  const r = await run(['run', f, '--summary-export', exported]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const d = JSON.parse(readFileSync(data, 'utf8'));
  const m = d.metrics;
  assert.equal(m.http_reqs.values.count, 5);
  assert.equal(m['http_reqs{scenario:s}'].values.count, 2);
  // the trends' counts (not among handleSummary's default figures) as their thresholds saw them
  assert.deepEqual(m.http_req_duration.thresholds, { 'count==5': { ok: true } });
  assert.deepEqual(m['http_req_duration{group:::setup}'].thresholds, { 'count==1': { ok: true } });
  assert.deepEqual([m.checks.values.passes, m.checks.values.fails], [4, 0]);
  assert.equal(m.made.values.count, 2);
  assert.equal(m.data_received.values.count, 5 * 2);
  assert.equal(m.data_sent.values.count, (5 / 2) * m['data_sent{scenario:s}'].values.count);
  assert.equal(m.iterations.values.count, 2, 'setup and teardown are no iterations');
  const groups = (g: { name: string; path: string; checks: { name: string }[] }[]) =>
    g.map((x) => [x.name, x.path, x.checks.map((c) => c.name)]);
  assert.deepEqual(
    d.root_group.checks.map((c: { name: string }) => c.name),
    ['it ok'],
  );
  assert.deepEqual(groups(d.root_group.groups), [
    ['setup', '::setup', ['setup ok']],
    ['teardown', '::teardown', ['teardown ok']],
  ]);
  for (const th of Object.values(m) as { thresholds?: Record<string, { ok: boolean }> }[])
    for (const [k, v] of Object.entries(th.thresholds ?? {})) assert.ok(v.ok, k);
  const e = JSON.parse(readFileSync(exported, 'utf8'));
  assert.equal(e.metrics.http_reqs.count, 5);
  assert.deepEqual(Object.keys(e.root_group.groups), ['setup', 'teardown']);
  assert.equal(e.root_group.groups.setup.checks['setup ok'].passes, 1);
});

test('the text summary: the requests of all three, the groups setup and teardown with their checks', async () => {
  const f = t.script(
    'text.js',
    `import http from 'k6/http';
import { check } from 'k6';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 1 } } };
export async function setup() {
  check(await http.get('$URL/st'), { 'setup ok': (x) => x.status === 200 });
}
export default async function () {
  await http.get('$URL/it');
}
export async function teardown() {
  check(await http.get('$URL/td'), { 'teardown ok': (x) => x.status === 200 });
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /http_reqs\.*: 3 /);
  assert.match(r.stdout, /█ setup\s+✓ setup ok/);
  assert.match(r.stdout, /█ teardown\s+✓ teardown ok/);
});

test('--out json streams their samples tagged group ::setup / ::teardown, with no scenario', async () => {
  const lines = join(t.dir, 'out.jsonl');
  const f = t.script(
    'out.js',
    `import http from 'k6/http';
import { check } from 'k6';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 1 } } };
export async function setup() {
  check(await http.get('$URL/st'), { 'setup ok': (x) => x.status === 200 });
}
export default async function () {
  await http.get('$URL/it');
}
export async function teardown() {
  await http.get('$URL/td');
}
`,
  );
  const r = await run(['run', f, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point');
  const reqs = points
    .filter((p) => p.metric === 'http_reqs')
    .map((p) => [p.data.tags.group, p.data.tags.scenario]);
  assert.deepEqual(reqs, [
    ['::setup', undefined],
    ['', 's'],
    ['::teardown', undefined],
  ]);
  const checks = points.filter((p) => p.metric === 'checks');
  assert.deepEqual(
    checks.map((p) => [p.data.tags.check, p.data.tags.group, p.data.tags.scenario]),
    [['setup ok', '::setup', undefined]],
  );
  for (const m of ['data_sent', 'data_received'])
    assert.ok(
      points.some((p) => p.metric === m && p.data.tags.group === '::teardown'),
      `${m} of teardown()`,
    );
});
