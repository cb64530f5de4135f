/**
 * `tickstorm run FILE`: k6's execution context. __VU / exec.vu.idInTest unique across the
 * generator threads, the scenarios and the workers of `run --master`; __ITER per VU; 0 in
 * setup(); a scenario's own `env` only in that scenario; exec.scenario.*, exec.test.options;
 * exec.test.abort() from any thread or setup(): exit 108 with the reason; Gauge (value, min,
 * max) in --json, the console summary, --out json, handleSummary's data and thresholds, merged
 * on a master and by `tickstorm merge` of execution segments.
 *
 * A script text names a 'k6/...' module on its first line only: the boundaries check reads
 * the import lines of this file, and a k6 name is no package of the repository.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-exec-');
const { script } = t;
const { start, stopAll } = trackedTickstorm();
afterEach(stopAll);

/** The paths the target saw under `prefix`, sorted, each with its count. */
const seen = (prefix: string) =>
  [...t.srv.paths.entries()]
    .filter(([p]) => p.startsWith(prefix))
    .map(([p, n]) => `${p} x${n}`)
    .sort();

test('__VU, __ITER and exec.vu over --workers 2 and two scenarios; a scenario env only in its scenario; exec.scenario, exec.test.options', async () => {
  const f = script(
    'ids.js',
    `import exec from 'k6/execution';
import http from 'tickstorm/http';
const INIT = (() => { try { return String(exec.vu.idInTest); } catch { return 'threw'; } })();
export const options = {
  scenarios: {
    a: { executor: 'per-vu-iterations', vus: 4, iterations: 3, env: { WHO: 'a-env' } },
    b: { executor: 'per-vu-iterations', vus: 2, iterations: 2, exec: 'b' },
  },
};
export function setup() {
  let sc = 'none';
  try { sc = exec.scenario.name; } catch { sc = 'threw'; }
  return { vu: __VU, iter: __ITER, id: exec.vu.idInTest, sc, who: String(__ENV.WHO) };
}
export default async function (data) {
  if (exec.vu.idInTest !== __VU || exec.vu.iterationInInstance !== __ITER || exec.vu.iterationInScenario !== __ITER)
    throw new Error('exec.vu differs from __VU / __ITER');
  await http.get(\`$URL/a/vu\${__VU}/it\${__ITER}/inst\${exec.vu.idInInstance}/\${__ENV.WHO}/\${__ENV.GLOBAL}\`);
  await http.get(\`$URL/setup/\${data.vu}-\${data.iter}-\${data.id}-\${data.sc}-\${data.who}\`);
}
export async function b() {
  const p = exec.scenario.progress;
  if (!(p > 0 && p <= 1)) throw new Error('progress ' + p);
  const started = exec.scenario.startTime > Date.now() - 60000 && exec.scenario.startTime <= Date.now() + 10;
  let frozen = false;
  try { exec.test.options.scenarios.a.env.WHO = 'x'; } catch { frozen = true; }
  await http.get(\`$URL/b/vu\${__VU}/it\${__ITER}/\${__ENV.WHO}/\${__ENV.GLOBAL}/\${exec.scenario.name}/\${exec.scenario.executor}/\${started}/\${exec.test.options.scenarios.a.env.WHO}/\${exec.test.options.scenarios.b.exec}/\${frozen}/init-\${INIT}\`);
}
`,
  );
  const json = join(t.dir, 'ids.json');
  const r = await run(['run', f, '--workers', '2', '-e', 'GLOBAL=g', '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.scenarios.find((s: { scenario: string }) => s.scenario === 'a').params.workers, 2);
  assert.equal(j.scenarios.find((s: { scenario: string }) => s.scenario === 'b').params.workers, 2);
  assert.equal(j.checks.length, 0);
  for (const s of j.scenarios) assert.equal(s.extra.iterationErrors, 0, JSON.stringify(s.generator));
  // scenario a: VUs 1-4 (two per thread), each with iterations 0-2, its env over the global one
  const a: string[] = [];
  for (let v = 1; v <= 4; v++) for (let i = 0; i < 3; i++) a.push(`/a/vu${v}/it${i}/inst${v}/a-env/g x1`);
  assert.deepEqual(seen('/a/'), a.sort());
  // scenario b: the VUs after a's (5, 6), no WHO: a's env stays in a
  const b: string[] = [];
  for (const v of [5, 6])
    for (const i of [0, 1])
      b.push(`/b/vu${v}/it${i}/undefined/g/b/per-vu-iterations/true/a-env/b/true/init-threw x1`);
  assert.deepEqual(seen('/b/'), b.sort());
  // setup(): __VU, __ITER and exec.vu are 0, exec.scenario throws, __ENV is the global one
  assert.deepEqual(seen('/setup/'), ['/setup/0-0-0-threw-undefined x12']);
});

test('exec.test.abort() in an iteration on one of two threads stops the run: 108, the reason, teardown runs; in setup(): 108, nothing runs', async () => {
  const f = script(
    'abort.js',
    `import http from 'tickstorm/http';
import exec from 'tickstorm/execution';
export const options = { scenarios: { hold: { executor: 'constant-vus', vus: 4, duration: '60s' } } };
export default async function () {
  await http.get('$URL/hold');
  if (__VU === 4 && __ITER === 2) exec.test.abort('vu 4 saw enough');
}
export function teardown() { return http.get('$URL/abort-teardown'); }
`,
  );
  const json = join(t.dir, 'abort.json');
  const r = await run(['run', f, '--workers', '2', '--json', json]);
  assert.equal(r.code, 108, r.stderr + r.stdout);
  assert.match(r.stderr, /test aborted: vu 4 saw enough/);
  assert.match(r.stdout, /ABORTED by exec\.test\.abort\(\): vu 4 saw enough \(exit code 108\)/);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.exitCode, 108);
  assert.equal(j.abortedBy, 'exec.test.abort(): vu 4 saw enough');
  assert.equal(j.scenarios[0].params.workers, 2);
  assert.ok(j.scenarios[0].durationSec < 30, `ran ${j.scenarios[0].durationSec}s of 60s`);
  // the abort ends its iteration without counting it as an error
  assert.equal(j.scenarios[0].extra.iterationErrors, 0);
  assert.equal(t.srv.paths.get('/abort-teardown'), 1);

  const s = script(
    'abort-setup.js',
    `import exec from 'k6/execution';
import http from 'tickstorm/http';
export function setup() { exec.test.abort('no test data'); }
export default async function () { await http.get('$URL/never'); }
`,
  );
  const rs = await run(['run', s]);
  assert.equal(rs.code, 108, rs.stderr + rs.stdout);
  assert.match(rs.stderr, /test aborted: no test data/);
  assert.equal(t.srv.paths.get('/never'), undefined);
});

test('Gauge: value, min and max over two threads in --json and the summary; handleSummary data, --out json, value thresholds', async () => {
  const body = `import { Gauge } from 'k6/metrics';
import { Gauge as G2 } from 'tickstorm/metrics';
const depth = new Gauge('depth');
if (G2 !== Gauge) throw new Error('one Gauge');
export default function () { depth.add(__VU * 100 + __ITER); }
`;
  const f = script(
    'gauge.js',
    `${body}export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 3 } },
  thresholds: { depth: ['value>=102', 'value<=202'] },
};
`,
  );
  const json = join(t.dir, 'gauge.json');
  const r = await run(['run', f, '--workers', '2', '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.scenarios[0].params.workers, 2);
  const d = j.metrics.depth;
  assert.equal(d.type, 'gauge');
  // VU 1 added 100..102 on one thread, VU 2 200..202 on the other: the last added is one's last
  assert.deepEqual({ min: d.values.min, max: d.values.max }, { min: 100, max: 202 });
  assert.ok([102, 202].includes(d.values.value), String(d.values.value));
  assert.match(r.stdout, new RegExp(`✓ depth\\.+: ${d.values.value}  min=100  max=202`));
  assert.deepEqual(
    j.thresholds.map((x: { threshold: string; ok: boolean }) => `${x.threshold}:${x.ok}`),
    ['value>=102:true', 'value<=202:true'],
  );

  const h = script(
    'gauge-summary.js',
    `${body}import { textSummary } from 'tickstorm';
export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 3 } },
  thresholds: { depth: ['value<0'] },
};
export function handleSummary(data) {
  return { '${t.dir}/gauge-data.json': JSON.stringify(data.metrics.depth), stdout: textSummary(data, { enableColors: false }) };
}
`,
  );
  const lines = join(t.dir, 'gauge.jsonl');
  const rh = await run(['run', h, '--out', `json=${lines}`]);
  assert.equal(rh.code, 99, rh.stderr + rh.stdout);
  const data = JSON.parse(readFileSync(join(t.dir, 'gauge-data.json'), 'utf8'));
  assert.equal(data.type, 'gauge');
  assert.deepEqual(Object.keys(data.values).sort(), ['max', 'min', 'value']);
  assert.deepEqual({ min: data.values.min, max: data.values.max }, { min: 100, max: 202 });
  assert.deepEqual(data.thresholds, { 'value<0': { ok: false } });
  assert.match(rh.stdout, /✗ depth\.+: \d+ min=100 max=202/);
  const out = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.metric === 'depth');
  assert.equal(out.filter((l) => l.type === 'Metric')[0].data.type, 'gauge');
  assert.deepEqual(
    out
      .filter((l) => l.type === 'Point')
      .map((l) => l.data.value)
      .sort(),
    [100, 101, 102, 200, 201, 202],
  );

  const bad = script(
    'gauge-bad.js',
    `${body}export const options = { thresholds: { depth: ['count>1'] } };
`,
  );
  const rb = await run(['run', bad]);
  assert.equal(rb.code, 104, rb.stderr);
  assert.match(rb.stderr, /'count>1' is not a threshold for a gauge \(use value, e\.g\. 'value<100'\)/);
});

test('--master with 2 workers: __VU unique across the workers, exec.vu.idInInstance per worker; the Gauge merged on the master', async () => {
  const f = script(
    'dist-ids.js',
    `import exec from 'k6/execution';
import http from 'tickstorm/http';
import { Gauge } from 'tickstorm/metrics';
const g = new Gauge('vu_seen');
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 2 } } };
export default async function () {
  g.add(__VU);
  await http.get(\`$URL/m/vu\${__VU}/it\${__ITER}/inst\${exec.vu.idInInstance}\`);
}
export function handleSummary(data) {
  return { '${t.dir}/dist-gauge.json': JSON.stringify(data.metrics.vu_seen) };
}
`,
  );
  const m = start(['run', f, '--master', '--expect-workers', '2', '--master-bind-port', '0']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  // part 0 of 2 holds the test's VUs 1 and 3, part 1 VUs 2 and 4: each numbers its own 1, 2
  assert.deepEqual(seen('/m/'), [
    '/m/vu1/it0/inst1 x1',
    '/m/vu1/it1/inst1 x1',
    '/m/vu2/it0/inst1 x1',
    '/m/vu2/it1/inst1 x1',
    '/m/vu3/it0/inst2 x1',
    '/m/vu3/it1/inst2 x1',
    '/m/vu4/it0/inst2 x1',
    '/m/vu4/it1/inst2 x1',
  ]);
  const gauge = JSON.parse(readFileSync(join(t.dir, 'dist-gauge.json'), 'utf8'));
  assert.equal(gauge.type, 'gauge');
  assert.deepEqual({ min: gauge.values.min, max: gauge.values.max }, { min: 1, max: 4 });
  assert.ok([1, 2, 3, 4].includes(gauge.values.value));
});

test('--master: exec.test.abort() on one worker ends its part (108) and the master stops the other part; exit 108', async () => {
  const f = script(
    'dist-abort.js',
    `import exec from 'k6/execution';
import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 4, duration: '8s' } } };
export default async function () {
  await http.get('$URL/da');
  if (__VU === 2 && __ITER === 2) exec.test.abort('worker part saw enough');
}
`,
  );
  const m = start(['run', f, '--master', '--expect-workers', '2', '--master-bind-port', '0']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  // timed from the go, not from the spawns: starting three processes took most of 8 s on a
  // loaded box; the other part, not stopped, would run the whole 8 s after the go
  await Promise.all(ws.map((w) => w.waitFor(/The master said go/)));
  const go = Date.now();
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  const out = ws.map((w) => w.stdout() + w.stderr());
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, out[i]); // a worker's verdict goes to the master
  // VU 2 is in the second part: that worker's part aborts, and the master stops the other
  // part (as the test would stop on one machine), well before its 8 s
  const aborted = out.filter((o) =>
    /ABORTED by exec\.test\.abort\(\): worker part saw enough \(exit code 108\)/.test(o),
  );
  assert.equal(aborted.length, 1, out.join('\n----\n'));
  assert.match(aborted[0], /execution segment 1\/2:1/);
  assert.equal(
    out.filter((o) => /INTERRUPTED: results so far are above/.test(o)).length,
    1,
    out.join('\n----\n'),
  );
  assert.equal(mx.code, 108, m.stdout() + m.stderr());
  assert.match(
    m.stdout() + m.stderr(),
    /Worker \S+ stopped the test \(exit 108\): stopping the other workers' parts/,
  );
  assert.match(m.stderr(), /worker \S+ ended with exit code 108/);
  assert.ok(Date.now() - go < 6000, `the master ended ${Date.now() - go} ms after the go`);
});

test('tickstorm merge of two --execution-segment parts: __VU numbers the whole test; the Gauge merges as one run', async () => {
  const f = script(
    'seg-gauge.js',
    `import { Gauge } from 'k6/metrics';
import exec from 'tickstorm/execution';
const depth = new Gauge('seg_depth');
export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 3 } },
  thresholds: { seg_depth: ['value==202'] },
};
export default function () {
  if (exec.vu.idInInstance !== 1) throw new Error('one VU per part: ' + exec.vu.idInInstance);
  depth.add(__VU * 100 + __ITER);
}
`,
  );
  // one part after the other: the second part's last value is the whole's last
  const parts: string[] = [];
  for (const seg of ['0:1/2', '1/2:1']) {
    const json = join(t.dir, `seg-${parts.length}.json`);
    const r = await run(['run', f, '--execution-segment', seg, '--json', json]);
    parts.push(json);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(j.scenarios[0].extra.iterationErrors, 0, r.stdout + r.stderr);
    // part 0:1/2 holds the test's VU 1, part 1/2:1 its VU 2
    assert.deepEqual(
      j.metrics.seg_depth.values,
      seg === '0:1/2' ? { value: 102, min: 100, max: 102 } : { value: 202, min: 200, max: 202 },
    );
    assert.equal(r.code, seg === '0:1/2' ? 99 : 0, r.stdout + r.stderr);
  }
  const out = join(t.dir, 'seg-merged.json');
  const m = await run(['merge', ...parts, '--json', out]);
  assert.equal(m.code, 0, m.stdout + m.stderr);
  assert.match(m.stdout, /seg_depth\.+: 202 {2}min=100 {2}max=202/);
  assert.match(m.stdout, /✓ seg_depth: value==202 \(actual 202\)/);
  const merged = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(
    merged.script.thresholds.map((x: { threshold: string; actual: number; ok: boolean }) => [
      x.threshold,
      x.actual,
      x.ok,
    ]),
    [['value==202', 202, true]],
  );
});
