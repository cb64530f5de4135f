/**
 * `tickstorm run --master` / `--worker` as separate OS processes against a local HTTP server:
 * the master's test is split over the workers (k6's execution segments), so the load is the
 * master's, not N times it: a script's iterations, a built-in scenario's --rate, and VUs that
 * do not divide all add up exactly. The master merges the reports exactly (the request count
 * equals what the server received) and the workers exit 0 after quit. A script's
 * options.thresholds are checked on the merged whole (counters summed, rates and checks over
 * every part, Trends' histograms added): the whole decides the exit code, the parts' own
 * verdicts are shown. A worker that cannot run the master's test, and a swarm worker, are
 * refused (104). Ctrl-C or SIGTERM on the master stops the workers' parts and reports what
 * they measured (105). A worker whose master is killed stops its part and exits 105, the code
 * its INTERRUPTED line prints.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-counted-users.ts', import.meta.url),
);
let server: LocalServer;
let received = 0;
let orders = 0;
/** Resolved at the next request the server receives (set anew by a test that waits for load). */
let onHit: (() => void) | null = null;
let dir: string;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-dist-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/health') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
        return;
      }
      received++;
      onHit?.();
      onHit = null;
      if (req.method === 'POST' && req.url === '/orders') {
        orders++;
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{"orderId":"x","status":"accepted"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, scenarios: string, thresholds = '{}'): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = { scenarios: ${scenarios}, thresholds: ${thresholds} };
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  return file;
}

const sumRequests = (segments: { requests: number }[]) => segments.reduce((a, s) => a + s.requests, 0);

/**
 * A master (`run FILE --master --expect-workers 2 --json JSON ...extra`) and two workers
 * (`run [...workerOperands] --worker`), both of which must exit 0; the master's exit code and report.
 */
async function masterAndTwoWorkers(
  file: string,
  json: string,
  extra: string[] = [],
  workerOperands: string[] = [],
) {
  const m = start([
    'run',
    file,
    '--master',
    '--expect-workers',
    '2',
    '--master-bind-port',
    '0',
    '--json',
    json,
    ...extra,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const ws = [0, 1].map(() => start(['run', ...workerOperands, '--worker', '--master-port', port]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  return { m, ws, code: mx.code, report: JSON.parse(readFileSync(json, 'utf8')) };
}

test('run --master splits a script over two workers (40 iterations in all, 20 each) and merges exactly', async () => {
  const file = script('hits.ts', "{ s: { executor: 'shared-iterations', vus: 2, iterations: 40 } }");
  const json = join(dir, 'merged.json');
  received = 0;
  const { m, ws, code, report } = await masterAndTwoWorkers(
    file,
    json,
    ['--threshold', 'error_rate<1%'],
    [file],
  );
  assert.equal(code, 0, m.stdout() + m.stderr());
  assert.equal(received, 40, 'the master’s 40 iterations, not 40 per worker');
  assert.equal(report.requests, 40);
  assert.equal(report.scenarios[0].entries[0].histogram.count, 40);
  assert.equal(report.workers.joined.length, 2);
  assert.deepEqual(
    report.workers.segments.map((s: { segment: string; requests: number }) => [s.segment, s.requests]),
    [
      ['0:1/2', 20],
      ['1/2:1', 20],
    ],
  );
  assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 2 reported, 0 missing/);
  assert.match(m.stdout(), /PASSED/);
  assert.match(
    ws[0].stdout() + ws[1].stdout(),
    /running execution segment 0:1\/2 \(part 1 of 2 of the load\)/,
  );
});

/**
 * 3 iterations on 2 VUs over two workers: worker A's VU runs iterations 0 and 1, worker B's
 * iteration 0. Each iteration counts `things`, checks "first iteration of its VU" and adds
 * 10 ms (first) or 30 ms to the Trend `wait`. Part A: things 2, checks 1/2, wait {10, 30};
 * part B: things 1, checks 1/1, wait {10}; the whole: things 3, checks 2/3, wait {10, 10, 30}.
 */
function countedScript(name: string, thresholds: string): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter, Trend } from 'tickstorm/metrics';
const things = new Counter('things');
const wait = new Trend('wait');
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 3 } },
  thresholds: ${thresholds},
};
export default async function (ctx: { iteration: number }): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
  things.add(1);
  check(ctx.iteration, { 'first iteration of its VU': (i) => i === 0 });
  wait.add(ctx.iteration === 0 ? 10 : 30);
}
`,
  );
  return file;
}

test('options.thresholds are the whole’s: count>=3, checks rate>0.6 and a Trend’s avg pass merged though each part misses some alone (exit 0)', async () => {
  const file = countedScript(
    'whole-passes.ts',
    "{ things: ['count>=3'], 'things{scenario:s}': ['count>=3'], checks: ['rate>0.6'], wait: ['count==3', 'avg>16', 'med<11', 'max>=30'], 'http_reqs{name:/hit}': ['count==3'] }",
  );
  const { m, code, report } = await masterAndTwoWorkers(file, join(dir, 'whole-passes.json'));
  assert.equal(code, 0, m.stdout() + m.stderr());
  const th = Object.fromEntries(
    report.script.thresholds.map((t: { metric: string; threshold: string; actual: number; ok: boolean }) => [
      `${t.metric}: ${t.threshold}`,
      [Math.round(t.actual * 1e4) / 1e4, t.ok],
    ]),
  );
  // Checks 2 of 3 (not the mean of the parts' 1/2 and 1/1); the Trend's avg 50/3 ms (not (20+10)/2).
  assert.deepEqual(th, {
    'things: count>=3': [3, true],
    'checks: rate>0.6': [0.6667, true],
    'wait: count==3': [3, true],
    'wait: avg>16': [16.667, true],
    'wait: med<11': [10.007, true],
    'wait: max>=30': [30, true],
    'http_reqs{name:/hit}: count==3': [3, true],
    'things{scenario:s}: count>=3': [3, true],
  });
  const s = report.script.scenarios[0];
  assert.equal(s.counters['metric:counter:things'], 3);
  assert.equal(s.counters['check:first iteration of its VU:pass'], 2);
  assert.equal(s.counters['check:first iteration of its VU:fail'], 1);
  assert.equal(s.trends.wait.count, 3);
  assert.equal(s.iterations, 3);
  // Each part missed thresholds on its own: named, shown, not deciding.
  assert.deepEqual(
    report.script.parts.map((p: { exitCode: number }) => p.exitCode),
    [99, 99],
  );
  assert.match(m.stdout(), /✓ things: count>=3 \(actual 3\)/);
  assert.match(m.stdout(), /✓ checks: rate>0\.6 \(actual 0\.6667\)/);
  assert.match(m.stdout(), /checks\.+: 66\.67%\s+✓ 2\s+✗ 1/);
  assert.match(m.stdout(), /Each part on its own \(shown; the whole above decides the exit code\)/);
  assert.match(m.stdout(), /worker \S+'s part missed things: count>=3 \(actual 2\),.* on its own/);
  assert.match(m.stdout(), /worker \S+'s part missed things: count>=3 \(actual 1\),.* on its own/);
  assert.match(m.stdout(), /PASSED/);
});

test('a threshold each part meets but the whole misses fails the master (exit 99), the line printed', async () => {
  const file = countedScript('whole-fails.ts', "{ things: ['count<3'], checks: ['rate>0.4'] }");
  const junit = join(dir, 'whole-fails.xml');
  const html = join(dir, 'whole-fails.html');
  const { m, code, report } = await masterAndTwoWorkers(file, join(dir, 'whole-fails.json'), [
    '--junit',
    junit,
    '--html',
    html,
  ]);
  assert.equal(code, 99, m.stdout() + m.stderr());
  assert.equal(report.exitCode, 99);
  assert.deepEqual(
    report.script.parts.map((p: { exitCode: number }) => p.exitCode),
    [0, 0],
    'each part alone passed (2 and 1 are < 3)',
  );
  assert.match(m.stdout(), /✗ things: count<3 \(actual 3\)/);
  assert.match(m.stdout(), /✓ checks: rate>0\.4 \(actual 0\.6667\)/);
  assert.match(m.stdout(), /FAILED: 1 threshold\(s\) not met \(exit code 99\)/);
  assert.doesNotMatch(m.stdout(), /Each part on its own/);
  // The JUnit and HTML reports carry the k6-style thresholds as checked on the merged whole.
  const xml = readFileSync(junit, 'utf8');
  assert.match(
    xml,
    /name="threshold things: count&lt;3" time="0">\s*<failure type="threshold" message="things: count&lt;3 not met \(actual 3\)"/,
  );
  assert.match(xml, /name="threshold checks: rate&gt;0\.4" time="0"\/>/);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /Script thresholds \(options\.thresholds\) on the merged whole/);
  assert.match(page, /<td>things<\/td>\s*<td>count&lt;3<\/td>\s*<td class="num">3<\/td>\s*<td class="fail">/);
});

test('abortOnFail stays per part: a worker whose part fails it stops (108), and so does the master', async () => {
  const file = join(dir, 'aborts.ts');
  writeFileSync(
    file,
    `import { sleep } from 'tickstorm';
import { Counter } from 'tickstorm/metrics';
const things = new Counter('things');
export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '60s' } },
  thresholds: { things: [{ threshold: 'count<1', abortOnFail: true }] },
};
export default async function (): Promise<void> {
  things.add(1);
  await sleep(0.05);
}
`,
  );
  const m = start(['run', file, '--master', '--expect-workers', '2', '--master-bind-port', '0']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  // Both parts fail the threshold; the first to abort makes the master stop the other, which
  // may get there before its own check does (then it says INTERRUPTED).
  const aborted = ws.filter((w) => /ABORTED by threshold things: count<1/.test(w.stdout()));
  assert.ok(aborted.length >= 1, ws.map((w) => w.stdout()).join('\n'));
  for (const w of ws) assert.match(w.stdout(), /ABORTED by threshold things: count<1|INTERRUPTED/);
  assert.equal(mx.code, 108, m.stdout() + m.stderr());
  assert.match(m.stderr(), /worker \S+ ended with exit code 108/);
  assert.match(m.stdout(), /✗ things: count<1 \(actual \d+\) \[abortOnFail\]/);
});

test('the master loads the script for its thresholds: an unknown metric exits 104 before it listens', async () => {
  const file = countedScript('unknown-metric.ts', "{ nosuch: ['count>1'] }");
  const m = start(['run', file, '--master', '--master-bind-port', '0']);
  const x = await m.exited;
  assert.equal(x.code, 104, m.stdout() + m.stderr());
  assert.match(m.stderr(), /options\.thresholds\['nosuch'\]: unknown metric 'nosuch'/);
  assert.doesNotMatch(m.stdout(), /Master listening/);
});

test('a script given as the lab’s strings is checked on the merged whole too', async () => {
  const file = countedScript('lab-strings.ts', "['requests>=3']");
  const { m, code, report } = await masterAndTwoWorkers(file, join(dir, 'lab-strings.json'));
  assert.equal(code, 0, m.stdout() + m.stderr());
  assert.deepEqual(report.script.labThresholds, ['requests>=3'], 'carried for a later merge');
  assert.match(m.stdout(), /✅ requests>=3: requests = 3, wanted >= 3/);
  assert.match(m.stdout(), /part missed requests>=3 \(actual 2\) on its own/);
});

test('order-stress --rate R on the master: two bare workers send R x duration in all, half each', async () => {
  const json = join(dir, 'orders-merged.json');
  orders = 0;
  const m = start([
    'run',
    'order-stress',
    '--orders-url',
    server.url.replace(/\/$/, ''),
    '--rate',
    '100',
    '--duration',
    '2s',
    '--master',
    '--expect-workers',
    '2',
    '--master-bind-port',
    '0',
    '--json',
    json,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const mine = [join(dir, 'orders-w1.json'), join(dir, 'orders-w2.json')];
  const ws = mine.map((f) => start(['run', '--worker', '--master-port', port, '--no-watch', '--json', f]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  // Workers exit 0 on the master's quit, whatever their part gave (docs/load-lab.md).
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  // A part may miss order-stress's own targets (latency, the generator's CPU) on a busy machine:
  // 99 in that worker's own report, said by name in the master's verdict. What is asserted here
  // is how the load was split.
  const partCodes = mine.map((f) => JSON.parse(readFileSync(f, 'utf8')).exitCode);
  for (const c of partCodes) assert.ok(c === 0 || c === 99, `a part's exit code: ${c}`);
  const missedParts = partCodes.filter((c) => c === 99).length;
  if (missedParts === 0) assert.equal(mx.code, 0, m.stdout() + m.stderr());
  else {
    assert.equal(mx.code, 99, m.stdout() + m.stderr());
    assert.match(m.stdout(), /FAILED: target\(s\) worker \S+'s part.* not met \(exit code 99\)/);
  }
  const report = JSON.parse(readFileSync(json, 'utf8'));
  // 100 orders/s for 2 s is 200 orders on the schedule: 100 on each worker, not 200 each.
  assert.equal(orders, 200);
  assert.equal(report.requests, 200);
  assert.equal(sumRequests(report.workers.segments), 200);
  assert.equal(report.scenarios[0].params.rate, 100, 'the merged run is the master’s test');
  assert.equal(report.scenarios[0].params.executionSegment, undefined);
  const each = mine.map((f) => JSON.parse(readFileSync(f, 'utf8')).scenarios[0]);
  assert.deepEqual(
    each.map((s) => s.requests),
    [100, 100],
  );
  assert.deepEqual(each.map((s) => s.params.executionSegment).sort(), ['0:1/2', '1/2:1']);
  assert.deepEqual(
    each.map((s) => s.params.rate),
    [100, 100],
    'the master’s --rate, of which each ran its part',
  );
  for (const w of ws) assert.match(w.stdout(), />= 50 orders\/s \(within 1%, this segment's 1\/2 of 100\)/);
});

test('three bare workers get the master’s script: VUs and iterations that do not divide add up exactly', async () => {
  const file = script(
    'uneven.ts',
    "{ a: { executor: 'per-vu-iterations', vus: 7, iterations: 3 }, b: { executor: 'shared-iterations', vus: 5, iterations: 40 } }",
  );
  const json = join(dir, 'uneven.json');
  received = 0;
  const m = start([
    'run',
    file,
    '--master',
    '--expect-workers',
    '3',
    '--master-bind-port',
    '0',
    '--json',
    json,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const mine = [0, 1, 2].map((i) => join(dir, `uneven-w${i}.json`));
  const ws = mine.map((f) => start(['run', '--worker', '--master-port', port, '--json', f]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  for (const w of ws) assert.match(w.stdout(), /Ready to run the master's script/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(received, 7 * 3 + 40);
  assert.equal(report.requests, 61);
  // Per part (by segment): VUs a 3/2/2 and b 2/2/1; iterations a 9/6/6 and b 14/13/13.
  const parts = mine
    .map(
      (f) =>
        JSON.parse(readFileSync(f, 'utf8')).scenarios as {
          scenario: string;
          requests: number;
          params: Record<string, unknown>;
          extra: Record<string, number>;
        }[],
    )
    .map((sc) => ({
      segment: String(sc[0].params.executionSegment),
      vus: sc.map((s) => `${s.scenario}:${s.extra.vusMax}`).sort(),
      requests: sc.map((s) => `${s.scenario}:${s.requests}`).sort(),
    }))
    .sort((x, y) => x.segment.localeCompare(y.segment));
  assert.deepEqual(parts, [
    { segment: '0:1/3', vus: ['a:3', 'b:2'], requests: ['a:9', 'b:14'] },
    { segment: '1/3:2/3', vus: ['a:2', 'b:2'], requests: ['a:6', 'b:13'] },
    { segment: '2/3:1', vus: ['a:2', 'b:1'], requests: ['a:6', 'b:13'] },
  ]);
  assert.deepEqual(report.workers.segments.map((s: { requests: number }) => s.requests).sort(), [19, 19, 23]);
});

test('a worker whose script differs from the master’s exits 104; with none that can run it by --expect-workers-max-wait the master exits 104', async () => {
  const theirs = script('theirs.ts', "{ s: { executor: 'shared-iterations', vus: 1, iterations: 5 } }");
  const ours = script('ours.ts', "{ s: { executor: 'shared-iterations', vus: 1, iterations: 6 } }");
  // a refused worker does not count toward --expect-workers: the master waits on for the whole wait
  const m = start(['run', theirs, '--master', '--master-bind-port', '0', '--expect-workers-max-wait', '10']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const w = start(['run', ours, '--worker', '--master-port', port]);
  const [mx, wx] = await Promise.all([m.exited, w.exited]);
  assert.equal(wx.code, 104, w.stdout() + w.stderr());
  assert.match(w.stderr(), /cannot run the master's test: .*ours\.ts differs from the master's .*theirs\.ts/);
  assert.equal(mx.code, 104, m.stdout() + m.stderr());
  assert.match(
    m.stderr(),
    /no worker can run the test; nothing ran:\n {2}- worker \S+ refused \(exit 104\): /,
  );
  assert.doesNotMatch(m.stdout(), /Started the run/);
});

test('a worker given scenario parameters of its own is refused before it connects (104)', async () => {
  const w = start(['run', 'order-stress', '--rate', '500', '--worker', '--master-port', '1']);
  const x = await w.exited;
  assert.equal(x.code, 104, w.stdout() + w.stderr());
  assert.match(w.stderr(), /--rate is the master's: a worker runs the master's test/);
});

test('a swarm worker is refused by a run master (104), naming the command to use', async () => {
  const file = script('x.ts', "{ s: { executor: 'shared-iterations', vus: 1, iterations: 1 } }");
  const m = start(['run', file, '--master', '--master-bind-port', '0', '--expect-workers-max-wait', '30']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const w = start(['swarm', '-f', USERS, '--worker', '--master-port', port]);
  const x = await w.exited;
  assert.equal(x.code, 104, w.stdout() + w.stderr());
  assert.match(w.stderr(), /this master runs 'run' workers; start the worker with 'tickstorm run --worker'/);
});

test('--execution-segment runs one part by itself (k6’s flag); an unequal part exits 104', async () => {
  const file = script('part.ts', "{ s: { executor: 'shared-iterations', vus: 5, iterations: 40 } }");
  const json = join(dir, 'part.json');
  received = 0;
  const r = start(['run', file, '--execution-segment', '1/3:2/3', '--json', json]);
  const x = await r.exited;
  assert.equal(x.code, 0, r.stdout() + r.stderr());
  assert.equal(received, 13, 'iterations 1, 4, 7, ... of 40');
  const s = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
  assert.equal(s.requests, 13);
  assert.equal(s.extra.vusMax, 2);
  assert.match(r.stdout(), /\[execution segment 1\/3:2\/3: this run's share of the load above\]/);
  const bad = start(['run', file, '--execution-segment', '1/3:1']);
  assert.equal((await bad.exited).code, 104);
  assert.match(bad.stderr(), /--execution-segment must be one of N equal parts of the test/);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal} on the master stops the workers' parts, merges what they measured, exits 105`, async () => {
    const file = script(`long-${signal}.ts`, "{ s: { executor: 'constant-vus', vus: 2, duration: '10m' } }");
    const json = join(dir, `interrupted-${signal}.json`);
    const m = start([
      'run',
      file,
      '--master',
      '--expect-workers',
      '2',
      '--master-bind-port',
      '0',
      '--json',
      json,
    ]);
    const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
    const hit = new Promise<void>((resolve) => {
      onHit = resolve;
    });
    const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
    await Promise.all(ws.map((w) => w.waitFor(/The master said go/)));
    await hit;
    m.child.kill(signal);
    const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
    assert.equal(mx.code, 105, m.stdout() + m.stderr());
    for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
    assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 2 reported, 0 missing/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(report.exitCode, 105);
    assert.ok(report.requests > 0 && report.requests <= received, `${report.requests} of ${received}`);
  });
}

test('a worker whose master vanishes (SIGKILL) mid-run stops its part and exits 105, as its INTERRUPTED line says', async () => {
  const file = script('long-vanished.ts', "{ s: { executor: 'constant-vus', vus: 1, duration: '10m' } }");
  const m = start(['run', file, '--master', '--expect-workers', '1', '--master-bind-port', '0']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const hit = new Promise<void>((resolve) => {
    onHit = resolve;
  });
  const w = start(['run', '--worker', '--master-port', port]);
  await w.waitFor(/The master said go/);
  await hit;
  m.child.kill('SIGKILL');
  const [mx, wx] = await Promise.all([m.exited, w.exited]);
  assert.equal(mx.signal, 'SIGKILL');
  assert.match(w.stderr(), /the master at 127\.0\.0\.1:\d+ went away .*\[LAB_ERR_MASTER_GONE\]/);
  assert.match(w.stdout(), /INTERRUPTED: results so far are above \(exit code 105\)/);
  assert.equal(wx.code, 105, w.stdout() + w.stderr());
});

test("Ctrl-C on the master during the script's setup(): setup() is cut, 105, no worker is sent the test", async () => {
  const file = join(dir, 'setup-wait-master.ts');
  const url = server.url.replace(/\/$/, '');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
import { sleep } from 'tickstorm';
export const options = { iterations: 1, setupTimeout: '60s' };
export async function setup() { await http.get('${url}/setup'); await sleep(600); }
export default async function () { await http.get('${url}/hit'); }
`,
  );
  const hit = new Promise<void>((resolve) => {
    onHit = resolve;
  });
  const m = start(['run', file, '--master', '--expect-workers', '1', '--master-bind-port', '0']);
  await hit; // setup()'s request arrived: setup() now sleeps
  m.child.kill('SIGINT');
  const x = await m.exited;
  assert.equal(x.code, 105, m.stdout() + m.stderr());
  assert.match(m.stderr(), /interrupted during setup\(\): no scenario was run/);
  assert.doesNotMatch(m.stdout(), /Master listening/);
});
