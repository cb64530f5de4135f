/**
 * `tickstorm merge` of script runs: real `tickstorm run` processes against a local HTTP server,
 * their `--json` reports merged by `tickstorm merge` processes.
 *
 * One script, run whole and as execution segments 0:1/2 and 1/2:1 (per-vu-iterations: the
 * whole has VUs 1-4, each part 2). Its Counter, Rate, check() and Trend samples depend on the
 * iteration and a "shift": 0 for the whole's VUs 1-2 and part 0:1/2, 1 for the whole's VUs
 * 3-4 and part 1/2:1 (TICKSTORM_TEST_PART), so the parts differ and add up to the whole.
 * Merged, every options.thresholds figure equals the whole run's; a threshold met by the
 * whole but missed by each part passes the merge (0), one the whole misses fails it (99);
 * reports with different thresholds are merged with the union (noted); a metric of two
 * kinds is refused (104). The merged --json merges again; JUnit and HTML name the k6
 * thresholds with pass/fail.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';

let server: LocalServer;
let dir: string;
let hits = 0;

/** Per VU of shift 0: units sum 152 (7i mod 11, i < 30), checks 24 of 30; shift 1: 90, 15 of 30. */
const WHOLE_PASSES = {
  units: ['count>=400'],
  odd: ['rate>0.5'],
  checks: ['rate>0.6'],
  spread: ['count==120', 'p(50)>0', 'p(95)>0', 'avg>0', 'min>=0', 'max>0', 'med>0'],
  iterations: ['count==120'],
  'http_reqs{name:/hit}': ['count==120'],
};
const WHOLE_FAILS = { units: ['count<400'], checks: ['rate>0.4'] };

function script(name: string, thresholds: object): string {
  const f = join(dir, name);
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter, Rate, Trend } from 'tickstorm/metrics';
const units = new Counter('units');
const odd = new Rate('odd');
const spread = new Trend('spread');
export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 30 } },
  thresholds: ${JSON.stringify(thresholds)},
};
export default async function (ctx: { vu: number; iteration: number }): Promise<void> {
  const part = process.env.TICKSTORM_TEST_PART;
  const shift = part === undefined ? (ctx.vu > 2 ? 1 : 0) : Number(part);
  const i = ctx.iteration;
  await http.get('${server.url.replace(/\/$/, '')}/hit');
  units.add(shift === 0 ? (i * 7) % 11 : 3);
  odd.add(shift === 0 ? i % 3 === 1 : i % 5 !== 0);
  check(i, { 'not a multiple of 5': (n) => (shift === 0 ? n % 5 !== 0 : n % 2 === 0) });
  spread.add((0.05 * 1.3 ** (i % 29) + (i % 7) * 0.013) * (1 + 3 * shift));
}
`,
  );
  return f;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json: string;
}

async function runScript(file: string, name: string, part?: 0 | 1, extra: string[] = []): Promise<Run> {
  const json = join(dir, `${name}.json`);
  const seg = part === undefined ? [] : ['--execution-segment', part === 0 ? '0:1/2' : '1/2:1'];
  const r = await tickstorm(
    ['run', file, '--json', json, ...seg, ...extra],
    part === undefined ? undefined : { TICKSTORM_TEST_PART: String(part) },
  );
  return { ...r, json };
}

const merge = (args: string[]) => tickstorm(['merge', ...args]);
const read = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
type Row = { metric: string; threshold: string; actual: number; ok: boolean };
const figures = (rows: Row[]) => rows.map((t) => `${t.metric}: ${t.threshold} = ${t.actual} ${t.ok}`);

let whole: Run;
let a1: Run;
let b1: Run;
let a2: Run;
let b2: Run;
let a3: Run;
let b3: Run;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-merge-script-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const passes = script('whole-passes.ts', WHOLE_PASSES);
  const fails = script('whole-fails.ts', WHOLE_FAILS);
  const labStrings = script('lab-strings.ts', ['requests>=120']);
  const junitHtml = (n: string) => ['--junit', join(dir, `${n}.xml`), '--html', join(dir, `${n}.html`)];
  [whole, a1, b1, a2, b2, a3, b3] = await Promise.all([
    runScript(passes, 'whole'),
    runScript(passes, 'a1', 0, junitHtml('a1')),
    runScript(passes, 'b1', 1),
    runScript(fails, 'a2', 0),
    runScript(fails, 'b2', 1),
    runScript(labStrings, 'a3', 0),
    runScript(labStrings, 'b3', 1),
  ]);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the runs: the whole passes; each part of the first script misses units count>=400 alone (99)', () => {
  assert.equal(whole.code, 0, whole.stdout + whole.stderr);
  assert.equal(a1.code, 99, a1.stdout + a1.stderr);
  assert.equal(b1.code, 99, b1.stdout + b1.stderr);
  assert.equal(a2.code, 0, a2.stdout + a2.stderr);
  assert.equal(b2.code, 0, b2.stdout + b2.stderr);
  assert.equal(a3.code, 99, a3.stdout + a3.stderr);
  assert.equal(b3.code, 99, b3.stdout + b3.stderr);
  assert.equal(hits, 120 + 6 * 60, 'whole 120 requests, each part 60');
  assert.match(a1.stdout, /✗ units: count>=400 \(actual 304\)/);
  assert.match(b1.stdout, /✗ units: count>=400 \(actual 180\)/);
  // The script run's --json carries its script section, thresholds included: self-contained.
  const j = read(a1.json);
  assert.deepEqual(j.scriptMetrics.declared, { units: 'counter', odd: 'rate', spread: 'trend' });
  // 'spread' is k6's `new Trend(name)`: plain numbers, not ms; the report says so for a merge
  assert.deepEqual(j.scriptMetrics.plainTrends, ['spread']);
  assert.equal(j.scriptMetrics.scenarios[0].iterations, 60);
  assert.ok(
    j.scriptMetrics.thresholds.some((t: Row) => t.metric === 'units' && t.threshold === 'count>=400'),
  );
});

test('merged parts equal the whole run figure for figure; passing on the whole only: exit 0', async () => {
  const out = join(dir, 'm1.json');
  const junit = join(dir, 'm1.xml');
  const html = join(dir, 'm1.html');
  const r = await merge([a1.json, b1.json, '--json', out, '--junit', junit, '--html', html]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const w = read(whole.json);
  const m = read(out);
  assert.equal(figures(w.thresholds).length, 12);
  assert.deepEqual(figures(m.script.thresholds), figures(w.thresholds));
  // k6's vus and vus_max are series in time (vus:*, vus_max:* keys by second): the parts ran
  // after each other, not with the whole
  const untimed = (c: Record<string, number>) =>
    Object.fromEntries(Object.entries(c).filter(([k]) => !/^vus(_max)?:/.test(k)));
  assert.deepEqual(untimed(m.script.scenarios[0].counters), untimed(w.scriptMetrics.scenarios[0].counters));
  // iteration_duration, k6's http_req_duration{expected_response:true} and the requests'
  // phases are measured time: the whole and the parts are different runs (the same counts)
  const timed = [
    'iteration_duration',
    'sub:http_req_duration{expected_response:true}',
    'http_req_blocked',
    'http_req_connecting',
    'http_req_tls_handshaking',
    'http_req_sending',
    'http_req_waiting',
    'http_req_receiving',
  ];
  const [mTrends, wTrends] = [m.script.scenarios[0].trends, w.scriptMetrics.scenarios[0].trends].map(
    (all: Record<string, { count: number }>) => {
      for (const k of timed) assert.equal(all[k]?.count, 120, k);
      return Object.fromEntries(Object.entries(all).filter(([k]) => !timed.includes(k)));
    },
  );
  assert.deepEqual(mTrends, wTrends);
  assert.equal(m.script.scenarios[0].iterations, 120);
  assert.equal(m.exitCode, 0);
  assert.deepEqual(
    m.script.parts.map((p: { exitCode: number }) => p.exitCode),
    [99, 99],
  );
  assert.match(r.stdout, /Script metrics and options\.thresholds on the merged whole \(2 reports\):/);
  assert.match(r.stdout, /✓ units: count>=400 \(actual 484\)/);
  assert.match(r.stdout, /✓ checks: rate>0\.6 \(actual 0\.65\)/);
  assert.match(r.stdout, /checks\.+: 65\.00%\s+✓ 78\s+✗ 42/);
  // a Trend of plain numbers is shown as numbers on the merged whole, as the run shows it
  const spreadLine = (out: string) => out.split('\n').find((l) => /^\s+\S?\s*spread\.+:/.test(l)) ?? '';
  assert.match(spreadLine(whole.stdout), /: avg=[\d.]+ min=[\d.]+ med=/);
  assert.match(spreadLine(r.stdout), /: avg=[\d.]+ min=[\d.]+ med=/);
  assert.doesNotMatch(spreadLine(r.stdout), /ms/);
  assert.deepEqual(m.script.plainTrends, ['spread']);
  assert.match(r.stdout, /a1\.json's part missed units: count>=400 \(actual 304\).* on its own/);
  assert.match(r.stdout, /PASSED/);
  assert.doesNotMatch(r.stderr, /different options\.thresholds/);
  const xml = readFileSync(junit, 'utf8');
  assert.match(
    xml,
    /<testcase classname="tickstorm\.run\.thresholds" name="threshold units: count&gt;=400" time="0"\/>/,
  );
  assert.match(xml, /<testsuites name="tickstorm" tests="12" failures="0"/);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /Script thresholds \(options\.thresholds\) on the merged whole/);
  assert.match(
    page,
    /<td>units<\/td>\s*<td>count&gt;=400<\/td>\s*<td class="num">484<\/td>\s*<td class="pass">/,
  );
});

test('the merged --json merges again: one part, then the other, gives the whole', async () => {
  const first = join(dir, 'only-a1.json');
  const again = join(dir, 'again.json');
  assert.equal((await merge([a1.json, '--json', first])).code, 99);
  const r = await merge([first, b1.json, '--json', again]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const m = read(again);
  assert.deepEqual(figures(m.script.thresholds), figures(read(whole.json).thresholds));
  assert.equal(m.script.scenarios[0].iterations, 120);
});

test('a threshold each part meets but the whole misses fails the merge (99), JUnit and HTML say so', async () => {
  const junit = join(dir, 'm2.xml');
  const html = join(dir, 'm2.html');
  const r = await merge([a2.json, b2.json, '--junit', junit, '--html', html]);
  assert.equal(r.code, 99, r.stdout + r.stderr);
  assert.match(r.stdout, /✗ units: count<400 \(actual 484\)/);
  assert.match(r.stdout, /FAILED: 1 threshold\(s\) not met \(exit code 99\)/);
  assert.doesNotMatch(r.stdout, /Each part on its own/);
  const xml = readFileSync(junit, 'utf8');
  assert.match(
    xml,
    /name="threshold units: count&lt;400" time="0">\s*<failure type="threshold" message="units: count&lt;400 not met \(actual 484\)"/,
  );
  assert.match(xml, /failures="1"/);
  assert.match(
    readFileSync(html, 'utf8'),
    /<td>units<\/td>\s*<td>count&lt;400<\/td>\s*<td class="num">484<\/td>\s*<td class="fail">/,
  );
});

test('reports whose thresholds differ: the union is checked on the whole, the difference noted', async () => {
  const r = await merge([a1.json, b2.json]);
  assert.equal(r.code, 99, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /the reports carry different options\.thresholds; every one is checked on the merged whole/,
  );
  assert.match(r.stderr, /'units: count>=400' only in \S*a1\.json \(not in \S*b2\.json\)/);
  assert.match(r.stderr, /'units: count<400' only in \S*b2\.json \(not in \S*a1\.json\)/);
  assert.match(r.stdout, /✓ units: count>=400 \(actual 484\)/);
  assert.match(r.stdout, /✗ units: count<400 \(actual 484\)/);
});

test('a custom metric of two kinds cannot be added up: exit 104 naming both reports', async () => {
  const j = read(b1.json);
  j.scriptMetrics.declared.units = 'trend';
  const odd = join(dir, 'odd-kind.json');
  writeFileSync(odd, JSON.stringify(j));
  const r = await merge([a1.json, odd]);
  assert.equal(r.code, 104, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /custom metric 'units' is a counter in \S*a1\.json but a trend in \S*odd-kind\.json/,
  );
});

test('a Trend of times in one report and of plain numbers in another: exit 104 naming both reports', async () => {
  const j = read(b1.json);
  assert.deepEqual(j.scriptMetrics.plainTrends, ['spread'], 'the script declares spread without isTime');
  j.scriptMetrics.plainTrends = [];
  const timed = join(dir, 'timed-spread.json');
  writeFileSync(timed, JSON.stringify(j));
  const r = await merge([a1.json, timed]);
  assert.equal(r.code, 104, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /custom Trend 'spread' is of plain numbers \(declared without isTime\) in \S*a1\.json but of times in ms \(isTime\) in \S*timed-spread\.json: values in different units cannot be added up/,
  );
});

test('a single script run’s JUnit and HTML carry its k6 thresholds with pass/fail', () => {
  const xml = readFileSync(join(dir, 'a1.xml'), 'utf8');
  assert.match(
    xml,
    /name="threshold units: count&gt;=400" time="0">\s*<failure type="threshold" message="units: count&gt;=400 not met \(actual 304\)"/,
  );
  assert.match(xml, /name="threshold checks: rate&gt;0\.6" time="0"\/>/);
  const page = readFileSync(join(dir, 'a1.html'), 'utf8');
  assert.match(page, /Script thresholds \(options\.thresholds\)<\/h3>/);
  assert.match(
    page,
    /<td>units<\/td>\s*<td>count&gt;=400<\/td>\s*<td class="num">304<\/td>\s*<td class="fail">/,
  );
  assert.match(page, /FAILED \(exit code 99\)/);
});

test('options.thresholds as the lab’s strings travel in the reports and are checked on the merged whole', async () => {
  assert.deepEqual(read(a3.json).scriptMetrics.labThresholds, ['requests>=120']);
  const out = join(dir, 'm3.json');
  const r = await merge([a3.json, b3.json, '--json', out]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /✅ requests>=120: requests = 120, wanted >= 120/);
  assert.match(r.stdout, /a3\.json's part missed requests>=120 \(actual 60\) on its own/);
  assert.deepEqual(read(out).script.labThresholds, ['requests>=120']);
  const again = await merge([out, '--threshold', 'requests>=121']);
  assert.equal(again.code, 99, again.stdout + again.stderr);
  assert.match(again.stdout, /✅ requests>=120/);
  assert.match(again.stdout, /❌ requests>=121: requests = 120/);
});
