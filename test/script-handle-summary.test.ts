/**
 * `tickstorm run FILE`: k6's handleSummary(data). Called once after the run (after teardown(),
 * also when a threshold failed: 99), with k6's data shape taken from the run's own figures (the
 * http_reqs count is the server's hit count, p(95) is the one --json reports); its return value
 * written (stdout, files relative to the current directory) instead of the lab's summary;
 * options.summaryTrendStats honoured; a throwing one is 107 with the lab's summary shown; with
 * --master it runs once, on the master, with the merged counts; textSummary(data) from
 * 'tickstorm' and from jslib's k6-summary URL (resolved locally, not fetched).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm } from './support/cli.ts';

let hits: string[] = [];
let srv: LocalServer;
let dir: string;

before(async () => {
  srv = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.push(path);
    req.resume();
    req.on('end', () => {
      res.writeHead(path === '/fail' ? 500 : 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-handle-summary-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  hits = [];
});
const { start, stopAll } = trackedTickstorm();
afterEach(stopAll);

/** Runs the CLI in `dir` (so a relative key of handleSummary()'s result lands there). */
const run = (args: string[]) => tickstorm(args, undefined, dir);

function script(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text.replaceAll('$URL', srv.url.replace(/\/$/, '')).replaceAll('$DIR', dir));
  return f;
}

/** k6's jslib URL, as a k6 script imports it (quoted here, so it is not read as this file's own import). */
const JSLIB = `'${['https:', '', 'jslib.k6.io', 'k6-summary', '0.0.2', 'index.js'].join('/')}'`;

const count = (path: string) => hits.filter((p) => p === path).length;
/** handleSummary() appends one line per call to this file (counted by the tests). */
const calls = (name: string) =>
  existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).length : 0;

test('handleSummary(data) replaces the summary: k6 data from the same figures (hits, --json p(95)), stdout and a file written', async () => {
  const f = script(
    'basic.js',
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter } from 'tickstorm/metrics';
import { appendFileSync } from 'node:fs';
const orders = new Counter('orders');
export const options = { vus: 3, iterations: 30, thresholds: { http_req_duration: ['p(95)<60000'] } };
export default async function () {
  const r = await http.get('$URL/a');
  check(r, { 'is 200': (x) => x.status === 200 });
  orders.add(2);
}
export function teardown() { return http.get('$URL/teardown'); }
export async function handleSummary(data) {
  appendFileSync('$DIR/basic.calls', 'called\\n');
  await new Promise((r) => setTimeout(r, 1));
  return { stdout: 'MY SUMMARY reqs=' + data.metrics.http_reqs.values.count + '\\n', 'out/basic-summary.json': JSON.stringify(data) };
}
`,
  );
  const r = await run(['run', f, '--json', join(dir, 'basic.json')]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(calls('basic.calls'), 1);
  assert.equal(count('/a'), 30);
  assert.equal(count('/teardown'), 1);
  // teardown()'s request counts too, as in k6 (script-lifecycle-metrics)
  assert.match(r.stdout, /^MY SUMMARY reqs=31$/m);
  // the lab's own text summary is replaced; --json is still written
  assert.doesNotMatch(r.stdout, /http_reqs\.{2,}/);
  assert.doesNotMatch(r.stdout, /Scenario default/);
  assert.match(r.stdout, /out\/basic-summary\.json/);
  assert.match(r.stdout, /PASSED/);
  const data = JSON.parse(readFileSync(join(dir, 'out', 'basic-summary.json'), 'utf8'));
  const json = JSON.parse(readFileSync(join(dir, 'basic.json'), 'utf8'));
  assert.equal(data.metrics.http_reqs.values.count, count('/a') + count('/teardown'));
  assert.deepEqual(data.metrics.http_reqs.type, 'counter');
  const d = data.metrics.http_req_duration;
  assert.equal(d.type, 'trend');
  assert.equal(d.contains, 'time');
  assert.deepEqual(Object.keys(d.values), ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
  assert.equal(d.values['p(95)'], json.metrics.http_req_duration.values['p(95)']);
  assert.equal(d.values.avg, json.metrics.http_req_duration.values.avg);
  assert.deepEqual(d.thresholds, { 'p(95)<60000': { ok: true } });
  assert.deepEqual(data.metrics.http_req_failed.values, { rate: 0, passes: 0, fails: 31 });
  assert.equal(data.metrics.iterations.values.count, 30);
  assert.deepEqual(data.metrics.checks.values, { rate: 1, passes: 30, fails: 0 });
  assert.equal(data.metrics.orders.values.count, 60);
  assert.equal(data.metrics.orders.type, 'counter');
  // none dropped: not in the data, as k6 leaves out the metrics that had no sample
  assert.equal(data.metrics.dropped_iterations, undefined);
  assert.equal(data.metrics.data_received.contains, 'data');
  assert.deepEqual(
    data.root_group.checks.map((c: Record<string, unknown>) => [c.name, c.path, c.passes, c.fails]),
    [['is 200', '::is 200', 30, 0]],
  );
  assert.equal(data.root_group.path, '');
  assert.deepEqual(data.options.summaryTrendStats, ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)']);
  assert.equal(data.state.isStdOutTTY, false);
  assert.ok(data.state.testRunDurationMs >= 0);
});

test('summaryTrendStats honoured; a failing threshold still exits 99 and handleSummary sees ok: false', async () => {
  const f = script(
    'stats.js',
    `import http from 'tickstorm/http';
import { appendFileSync } from 'node:fs';
export const options = {
  vus: 2,
  iterations: 10,
  summaryTrendStats: ['p(99)', 'count', 'p(99.9)'],
  thresholds: { http_reqs: ['count<5'], 'http_req_duration{name:/b}': ['max<60000'] },
};
export default async function () { await http.get('$URL/b', { name: '/b' }); }
export function handleSummary(data) {
  appendFileSync('$DIR/stats.calls', 'called\\n');
  return { [ '$DIR/stats-summary.json' ]: JSON.stringify(data), stderr: 'to stderr\\n' };
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 99, r.stderr + r.stdout);
  assert.equal(calls('stats.calls'), 1);
  assert.match(r.stderr, /^to stderr$/m);
  assert.match(r.stdout, /FAILED: 1 threshold\(s\) not met \(exit code 99\)/);
  const data = JSON.parse(readFileSync(join(dir, 'stats-summary.json'), 'utf8'));
  assert.deepEqual(Object.keys(data.metrics.http_req_duration.values), ['p(99)', 'count', 'p(99.9)']);
  assert.equal(data.metrics.http_req_duration.values.count, 10);
  assert.ok(
    data.metrics.http_req_duration.values['p(99.9)'] >= data.metrics.http_req_duration.values['p(99)'],
  );
  assert.deepEqual(data.metrics.http_reqs.thresholds, { 'count<5': { ok: false } });
  // a tagged threshold's sub-metric is a metric of its own, as in k6
  assert.deepEqual(data.metrics['http_req_duration{name:/b}'].thresholds, { 'max<60000': { ok: true } });
  assert.equal(data.metrics['http_req_duration{name:/b}'].values.count, 10);
});

test('handleSummary() that throws or returns a non-object: the error, the lab summary, exit 107', async () => {
  const f = script(
    'throws.js',
    `import http from 'tickstorm/http';
export const options = { iterations: 5 };
export default async function () { await http.get('$URL/c'); }
export function handleSummary() { throw new Error('boom in summary'); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr + r.stdout);
  assert.match(r.stderr, /handleSummary\(\) threw: Error: boom in summary/);
  assert.match(r.stdout, /http_reqs\.+: 5 /);
  assert.match(r.stdout, /ERROR: handleSummary\(\) failed \(exit code 107\)/);

  const g = script(
    'bad-return.js',
    `export const options = { iterations: 1 };
export default function () {}
export function handleSummary() { return { stdout: 42 }; }
`,
  );
  const b = await run(['run', g]);
  assert.equal(b.code, 107, b.stderr + b.stdout);
  assert.match(b.stderr, /handleSummary\(\) returned 'stdout': number/);
  assert.match(b.stdout, /iterations\.+: 1 /);

  const bad = script(
    'bad-stats.js',
    `export const options = { summaryTrendStats: ['p95'] };
export default function () {}
export function handleSummary() { return {}; }
`,
  );
  const c = await run(['run', bad]);
  assert.equal(c.code, 104, c.stderr);
  assert.match(c.stderr, /options\.summaryTrendStats: 'p95' is not a trend stat/);
});

test('--master with 2 workers: handleSummary runs once, on the master, with the merged counts', async () => {
  const f = script(
    'dist.js',
    `import http from 'tickstorm/http';
import { appendFileSync } from 'node:fs';
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 20 } },
  thresholds: { http_req_failed: ['rate<0.5'] },
};
export default async function () { await http.get('$URL/d'); }
export function teardown() { return http.get('$URL/teardown'); }
export function handleSummary(data) {
  appendFileSync('$DIR/dist.calls', 'called ' + data.metrics.http_reqs.values.count + '\\n');
  return { stdout: 'MASTER SUMMARY reqs=' + data.metrics.http_reqs.values.count + ' ok=' + data.metrics.http_req_failed.thresholds['rate<0.5'].ok + '\\n' };
}
`,
  );
  const m = start(['run', f, '--master', '--expect-workers', '2', '--master-bind-port', '0']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(count('/d'), 20);
  assert.equal(count('/teardown'), 1);
  // the 20 iterations' requests and teardown()'s, as one process counts them (k6 does)
  assert.deepEqual(readFileSync(join(dir, 'dist.calls'), 'utf8'), 'called 21\n');
  assert.match(m.stdout(), /^MASTER SUMMARY reqs=21 ok=true$/m);
  // the merged summary is replaced on the master; each worker keeps its own summary
  assert.doesNotMatch(m.stdout(), /merged from 2 worker/);
  assert.match(m.stdout(), /Workers: 2 joined/);
  for (const w of ws) {
    assert.doesNotMatch(w.stdout(), /MASTER SUMMARY/);
    assert.match(w.stdout(), /http_reqs\.+: \d+ /);
  }
});

test("textSummary(data) from 'tickstorm' and jslib's k6-summary URL renders k6's text summary", async () => {
  const f = script(
    'text.js',
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { textSummary } from ${JSLIB};
import { textSummary as own } from 'tickstorm';
export const options = { iterations: 4, thresholds: { http_req_failed: ['rate<0.01'] } };
export default async function () {
  const r = await http.get('$URL/e');
  check(r, { 'is 200': (x) => x.status === 200, 'is 201': (x) => x.status === 201 });
}
export function handleSummary(data) {
  if (own !== textSummary) throw new Error('two textSummary functions');
  return { stdout: textSummary(data, { indent: ' ', enableColors: false }), 'colour.txt': textSummary(data) };
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(count('/e'), 4);
  assert.match(r.stdout, /^ {3}✓ is 200$/m);
  assert.match(r.stdout, /^ {3}✗ is 201\n {4}↳ {2}0% — ✓ 0 \/ ✗ 4$/m);
  assert.match(r.stdout, /^ {3}checks\.+: 50\.00% ✓ 4 ✗ 4$/m);
  assert.match(r.stdout, /^ {3}http_reqs\.+: 4 [\d.]+\/s$/m);
  assert.match(r.stdout, /^ ✓ http_req_failed\.+: 0\.00% ✓ 0 ✗ 4$/m);
  assert.match(
    r.stdout,
    /^ {3}http_req_duration\.+: avg=\S+ min=\S+ med=\S+ max=\S+ p\(90\)=\S+ p\(95\)=\S+$/m,
  );
  assert.match(r.stdout, /^ {3}data_received\.+: \d+ B /m);
  assert.equal(r.stdout.includes('\x1b['), false, 'no colours with enableColors: false');
  // enableColors defaults to true, as jslib's
  const colour = readFileSync(join(dir, 'colour.txt'), 'utf8');
  assert.ok(colour.includes('\x1b[32m✓ is 200\x1b[0m'), colour);
});

test('iteration errors are still said (stderr) when handleSummary() replaces the summary', async () => {
  // before, the iteration errors were only in the lab's summary: replaced, nothing said them
  const f = script(
    'errors.js',
    `import http from 'tickstorm/http';
export const options = { vus: 1, iterations: 2 };
export default async function () {
  await http.get('$URL/e');
  http.cookieJarNope();
}
export function handleSummary() { return { stdout: 'MINE\\n' }; }
`,
  );
  const r = await run(['run', f]);
  assert.equal(count('/e'), 2);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^MINE$/m);
  assert.match(
    r.stderr,
    /scenario default: ⚠ generator: iteration error: http\.cookieJarNope is not a function/,
  );
  assert.doesNotMatch(r.stdout, /⚠ generator/);
});
