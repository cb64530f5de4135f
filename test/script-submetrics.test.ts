/**
 * k6's submetrics: thresholds on any tag a sample carries (status, method,
 * expected_response, group, a request's or a custom sample's own tags, a scenario's tags,
 * check), counted exactly over two generator threads, shown in --json and handleSummary's
 * data, and watched live by abortOnFail. A tag a metric never carries is refused (104).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-submetrics-');
const { script } = t;

test('thresholds on tags select exactly the samples that carry them, over two threads', async () => {
  // 60 iterations: each a GET /ok in group 'front' with two checks, and every third a POST
  // /fail (500) tagged kind:write; a custom trend gets 1 ms tagged a and 5 ms tagged b.
  const f = script(
    'tags.ts',
    `import http from 'tickstorm/http';
import { check, group } from 'tickstorm';
import { Trend } from 'tickstorm/metrics';
const wait = new Trend('queue_wait');
export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 15, tags: { team: 'desk' } } },
  thresholds: {
    'http_reqs{status:200}': ['count==60'],
    'http_reqs{status:500}': ['count==20'],
    'http_reqs{method:POST}': ['count==20'],
    'http_req_failed{method:POST}': ['rate==1'],
    'http_req_failed{expected_response:true}': ['rate==0'],
    'http_req_duration{expected_response:true}': ['count==60', 'p(99)<10000'],
    'http_req_duration{group:::front}': ['count==60'],
    'http_reqs{kind:write,status:500}': ['count==20'],
    'http_reqs{team:desk}': ['count==80'],
    'http_reqs{team:other}': ['count==0'],
    'checks{check:is 200}': ['rate==1'],
    'checks{check:never}': ['rate==0'],
    'checks{group:::front}': ['rate==0.5'],
    'group_duration{group:::front}': ['count==60'],
    'queue_wait{kind:a}': ['count==60', 'max==1'],
    'queue_wait{kind:b}': ['min==5'],
  },
};
export default async function (ctx) {
  await group('front', async () => {
    const r = await http.get('$URL/ok');
    check(r, { 'is 200': (x) => x.status === 200, never: () => false });
  });
  wait.add(1, { kind: 'a' });
  wait.add(5, { kind: 'b' });
  if (ctx.iteration % 3 === 0) await http.post('$URL/fail', 'x', { tags: { kind: 'write' } });
}
export function handleSummary(data) {
  return { '${join(t.dir, 'summary.json').replaceAll('\\', '\\\\')}': JSON.stringify(data) };
}
`,
  );
  const json = join(t.dir, 'tags.json');
  const r = await run(['run', f, '--json', json, '--workers', '2']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  const results = j.thresholds as { metric: string; threshold: string; actual: number; ok: boolean }[];
  const actual = (key: string, source: string) =>
    results.find((x) => x.metric === key && x.threshold === source)?.actual;
  assert.equal(actual('http_reqs{status:200}', 'count==60'), 60);
  assert.equal(actual('http_reqs{status:500}', 'count==20'), 20);
  assert.equal(actual('checks{group:::front}', 'rate==0.5'), 0.5);
  assert.equal(actual('queue_wait{kind:b}', 'min==5'), 5);
  assert.ok(results.length >= 18 && results.every((x) => x.ok), JSON.stringify(results));
  // handleSummary's data: each tagged threshold is its own metric entry, with its own values
  const d = JSON.parse(readFileSync(join(t.dir, 'summary.json'), 'utf8'));
  assert.equal(d.metrics['http_reqs{method:POST}'].values.count, 20);
  assert.equal(d.metrics['http_reqs{status:500}'].values.count, 20);
  // trends show k6's default summaryTrendStats (avg, min, med, max, p(90), p(95))
  const ok = d.metrics['http_req_duration{expected_response:true}'];
  assert.equal(ok.type, 'trend');
  assert.ok(ok.values['p(95)'] > 0 && ok.values['p(95)'] <= ok.values.max, JSON.stringify(ok));
  assert.ok(d.metrics.group_duration.values.avg > 0, JSON.stringify(d.metrics.group_duration));
  assert.equal(d.metrics.http_reqs.values.count, 80);
  // --json's metrics and the end-of-test summary have them too, as k6's summary shows them
  assert.equal(j.metrics['http_reqs{method:POST}'].values.count, 20);
  assert.equal(j.metrics['queue_wait{kind:b}'].values.min, 5);
  assert.equal(j.metrics['checks{check:never}'].values.rate, 0);
});

test('abortOnFail on a submetric is watched live: exit 108', async () => {
  const f = script(
    'abort.ts',
    `import http from 'tickstorm/http';
export const options = {
  scenarios: { hold: { executor: 'constant-vus', vus: 2, duration: '60s' } },
  thresholds: { 'http_reqs{status:500}': [{ threshold: 'count<5', abortOnFail: true }] },
};
export default async function () { await http.get('$URL/fail'); }
`,
  );
  const json = join(t.dir, 'abort.json');
  const t0 = Date.now();
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 108, r.stderr + r.stdout);
  assert.ok(Date.now() - t0 < 30_000, 'stopped well before the 60 s');
  assert.match(JSON.parse(readFileSync(json, 'utf8')).abortedBy, /http_reqs\{status:500\}/);
});

test('quotes around a tag value are dropped as k6 drops them: name:"/q" selects the requests named /q', async () => {
  const f = script(
    'quoted.ts',
    `import http from 'tickstorm/http';
import { Counter } from 'tickstorm/metrics';
const c = new Counter('quoted_c');
export const options = { iterations: 3, thresholds: {
  'http_req_duration{name:"/q"}': ['count==3'],
  "http_reqs{ method : 'GET' , status:'200' }": ['count==3'],
  'quoted_c{kind:"a b"}': ['count==3'],
} };
export default async function () { await http.get('$URL/q'); c.add(1, { kind: 'a b' }); }
`,
  );
  const json = join(t.dir, 'quoted.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const actual = JSON.parse(readFileSync(json, 'utf8')).thresholds.map((x: { actual: number }) => x.actual);
  assert.deepEqual(actual, [3, 3, 3]);
  // the end-of-test summary shows each threshold's submetric under its metric, as k6's does
  assert.match(r.stdout, /\n {2}✓ {3}\{ method : 'GET' , status:'200' \}\.+: 3 /);
  assert.match(
    r.stdout,
    /\n {4}http_req_duration\.+: avg=[\s\S]*\n {2}✓ {3}\{ name:"\/q" \}\.+: avg=.* count=3\n/,
  );
});

test('a tag the metric never carries is a configuration error naming it: 104', async () => {
  const f = script(
    'refused.ts',
    `export const options = { thresholds: {
  'iterations{status:200}': ['count>0'],
  'data_received{method:GET}': ['count>0'],
  grpc_req_duration: ['p(95)<100'],
  nosuch: ['count>0'],
} };
export default async function () {}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 104, r.stderr + r.stdout);
  assert.match(r.stderr, /iterations\{status:200\}'\]: tag 'status' is not recorded on iterations/);
  assert.match(r.stderr, /data_received\{method:GET\}'\]: tag 'method' is not recorded on data_received/);
  // k6's own metrics the lab does not record are named as such, not as unknown
  assert.match(
    r.stderr,
    /\['grpc_req_duration'\]: k6's 'grpc_req_duration' is not measured here \(the lab has no gRPC client\)/,
  );
  assert.match(r.stderr, /\['nosuch'\]: unknown metric 'nosuch'/);
});

test("group() refuses a name with '::' (k6's rule), ending the iteration as an error", async () => {
  const f = script(
    'group-name.ts',
    `import { group } from 'tickstorm';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 1 } } };
export default async function () { await group('a::b', async () => {}); }
`,
  );
  const r = await run(['run', f]);
  assert.match(r.stdout + r.stderr, /group\(\): invalid name "a::b"/);
});

test("check()'s third argument tags its samples (checks{kind:auth}); a check may be a plain value", async () => {
  const f = script(
    'check-tags.ts',
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 8 } },
  thresholds: { 'checks{kind:auth}': ['rate==0.5'], 'checks{kind:other}': ['rate==1'] },
};
export default async function () {
  const r = await http.get('$URL/ok');
  check(r, { 'auth ok': (x) => x.status === 200, 'auth never': false }, { kind: 'auth' });
  check(r, { 'plain true': r.status === 200 }, { kind: 'other' });
}
`,
  );
  const json = join(t.dir, 'check-tags.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  const rows = j.thresholds as { metric: string; actual: number }[];
  assert.deepEqual(
    rows.map((x) => [x.metric, x.actual]),
    [
      ['checks{kind:auth}', 0.5],
      ['checks{kind:other}', 1],
    ],
  );
  assert.equal(j.metrics.checks.values.passes, 16);
});

test('a tag is text, as in k6: params.tags, add() and check() tags given as numbers match a threshold and stream as strings', async () => {
  const f = script(
    'numeric-tags.js',
    `import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
const hits = new Counter('hits');
export const options = {
  iterations: 2,
  thresholds: { 'http_reqs{id:5}': ['count==2'], 'hits{id:6}': ['count==2'], 'checks{id:7}': ['rate==1'] },
};
export default async function () {
  const r = await http.get('$URL/n', { tags: { id: 5 } });
  hits.add(1, { id: 6 });
  check(r, { ok: (x) => x.status === 200 }, { id: 7 });
}
`,
  );
  const lines = join(t.dir, 'numeric-tags.jsonl');
  const r = await run(['run', f, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const ids = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point' && l.data.tags.id !== undefined)
    .map((l) => `${l.metric}:${JSON.stringify(l.data.tags.id)}`);
  assert.deepEqual([...new Set(ids)].sort(), [
    'checks:"7"',
    'hits:"6"',
    'http_req_blocked:"5"',
    'http_req_connecting:"5"',
    'http_req_duration:"5"',
    'http_req_failed:"5"',
    'http_req_receiving:"5"',
    'http_req_sending:"5"',
    'http_req_tls_handshaking:"5"',
    'http_req_waiting:"5"',
    'http_reqs:"5"',
  ]);
});

test('group() returns what its function returns: a synchronous value as it is, an async one as a promise', async () => {
  const f = script(
    'group-return.js',
    `import { group } from 'k6';
import { Counter } from 'k6/metrics';
const seen = new Counter('seen');
export const options = { iterations: 1, thresholds: { seen: ['count==15'], 'group_duration{group:::s}': ['count==1'] } };
export default async function () {
  const v = group('s', () => 8);
  const w = await group('a', async () => 7);
  if (typeof v === 'number') seen.add(v);
  seen.add(w);
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
});

test("Counter.add takes a boolean as k6 does: true adds 1, false 0 (k6's errors.add(!ok))", async () => {
  const f = script(
    'counter-bool.js',
    `import { Counter } from 'k6/metrics';
const errors = new Counter('errors');
export const options = { iterations: 4, thresholds: { errors: ['count==2'] } };
export default function () {
  errors.add(true);
  errors.add(false);
  errors.add(true, { kind: 'x' });
  errors.add(false);
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 99, r.stderr + r.stdout);
  assert.match(r.stdout, /errors[ .]*: 8\b/);
  const g = script(
    'counter-bool-ok.js',
    `import { Counter } from 'k6/metrics';
const errors = new Counter('errors');
export const options = { iterations: 3, thresholds: { errors: ['count==3'] } };
export default function () { errors.add(true); errors.add(false); }
`,
  );
  const ok = await run(['run', g]);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
});

test("a custom metric may not take a built-in metric's name: its samples would never be shown (107, naming it)", async () => {
  for (const [name, decl] of [
    ['http_req_duration', "new Trend('http_req_duration', true)"],
    ['iterations', "new Counter('iterations')"],
  ]) {
    const f = script(
      `shadow-${name}.js`,
      `import { Counter, Trend } from 'k6/metrics';
const m = ${decl};
export const options = { iterations: 1 };
export default function () { m.add(5); }
`,
    );
    const r = await run(['run', f]);
    assert.equal(r.code, 107, r.stderr + r.stdout);
    assert.match(r.stderr, new RegExp(`'${name}' is a built-in metric`));
  }
});

test("a Trend takes negative values, as k6's: every figure is over the signed samples, across threads", async () => {
  const f = script(
    'negative-trend.js',
    `import { Trend } from 'k6/metrics';
const skew = new Trend('skew', true);
const drop = new Trend('drop');
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 4, iterations: 10 } },
  thresholds: {
    skew: ['min==-1', 'max==0.8', 'avg==-0.1', 'med==-0.2', 'p(10)==-1', 'p(90)==0.6', 'count==100'],
    'drop{kind:a}': ['count==10', 'max==-2.5'],
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(10)', 'p(90)', 'count'],
};
export default function () {
  for (let i = -5; i < 5; i++) skew.add(i / 5);
  drop.add(-2.5, { kind: 'a' });
}
`,
  );
  const json = join(t.dir, 'negative-trend.json');
  const r = await run(['run', f, '--workers', '2', '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(
    r.stdout,
    /skew\.*: avg=-100(\.00)?µs min=-1\.00ms med=-200(\.00)?µs max=800(\.00)?µs|skew\.*: avg=-0\.10ms min=-1\.00ms med=-0\.20ms max=0\.80ms/,
  );
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  assert.deepEqual(m.skew.values, {
    avg: -0.1,
    min: -1,
    med: -0.2,
    max: 0.8,
    'p(90)': 0.6,
    'p(95)': 0.8,
    'p(99)': 0.8,
    count: 100,
  });
  assert.deepEqual([m.drop.values.min, m.drop.values.max, m.drop.values.count], [-2.5, -2.5, 10]);
});
