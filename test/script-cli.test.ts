/**
 * `tickstorm run FILE`: k6-style scripts from a directory outside the repository, importing
 * the built-in modules, against a local HTTP server; exit codes 0 / 99 / 104 / 107 / 108.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-script-');
const { script } = t;

test('a .ts script outside the repo imports the built-ins, runs, passes (0) and writes --json', async () => {
  const f = script(
    'pass.ts',
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter, Rate, Trend } from 'tickstorm/metrics';
const hits = new Counter('hits');
const good = new Rate('good');
const wait = new Trend('wait_ms');
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 20 } },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{name:/ok}': ['p(99)<5000'],
    checks: ['rate==1'],
    hits: ['count==20'],
    good: ['rate>0.99'],
    wait_ms: ['max<5000', 'count==20'],
  },
};
export default async function (ctx: { vu: number }): Promise<void> {
  const res = await http.get('$URL/ok');
  check(res, { 'is 200': (r) => r.status === 200, 'json body': (r) => r.body === '{}' });
  hits.add(1);
  good.add(res.status === 200);
  wait.add(res.timings.duration);
  if (ctx.vu < 1) throw new Error('VUs are 1-based');
}
`,
  );
  const json = join(t.dir, 'pass.json');
  const lines = join(t.dir, 'pass.jsonl');
  const r = await run(['run', f, '--json', json, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  // --out json=FILE: k6's lines, a Metric line per metric, then one Point per sample
  const out = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    out
      // vus and vus_max: once a second for the whole test, as k6's (a shorter run has none)
      .filter((l) => l.type === 'Metric' && l.metric !== 'vus' && l.metric !== 'vus_max')
      .map((l) => `${l.metric}:${l.data.type}`)
      .sort(),
    [
      'checks:rate',
      'data_received:counter',
      'data_sent:counter',
      'good:rate',
      'hits:counter',
      'http_req_blocked:trend',
      'http_req_connecting:trend',
      'http_req_duration:trend',
      'http_req_failed:rate',
      'http_req_receiving:trend',
      'http_req_sending:trend',
      'http_req_tls_handshaking:trend',
      'http_req_waiting:trend',
      'http_reqs:counter',
      'iteration_duration:trend',
      'iterations:counter',
      'wait_ms:trend',
    ],
  );
  // every sample, as k6 streams them: the checks (tagged with the check's name), the
  // iterations and the script's own metrics, each adding up to the summary's figure
  const sum = (metric: string, tag?: [string, string]) =>
    out
      .filter((l) => l.type === 'Point' && l.metric === metric)
      .filter((l) => tag === undefined || l.data.tags[tag[0]] === tag[1])
      .reduce((a, l) => a + l.data.value, 0);
  const count = (metric: string) => out.filter((l) => l.type === 'Point' && l.metric === metric).length;
  assert.equal(count('checks'), 40);
  assert.equal(sum('checks', ['check', 'is 200']), 20);
  assert.equal(sum('iterations'), 20);
  assert.equal(sum('hits'), 20);
  assert.equal(count('good'), 20);
  assert.equal(count('wait_ms'), 20);
  assert.equal(out.find((l) => l.metric === 'hits' && l.type === 'Point').data.tags.scenario, 's');
  const points = out.filter((l) => l.type === 'Point' && l.metric === 'http_req_duration');
  assert.equal(points.length, 20);
  assert.equal(points[0].data.tags.name, '/ok');
  assert.equal(points[0].data.tags.status, '200');
  assert.equal(typeof points[0].data.value, 'number');
  assert.ok(!Number.isNaN(Date.parse(points[0].data.time)));
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.requests, 20);
  assert.equal(j.exitCode, 0);
  assert.equal(j.metrics.http_reqs.values.count, 20);
  assert.equal(j.metrics.iterations.values.count, 20);
  assert.equal(j.metrics.http_req_failed.values.rate, 0);
  assert.equal(j.metrics.checks.values.passes, 40);
  assert.equal(j.metrics.hits.values.count, 20);
  assert.equal(j.metrics.wait_ms.values.count, 20);
  for (const k of ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'])
    assert.equal(typeof j.metrics.http_req_duration.values[k], 'number', k);
  assert.deepEqual(
    j.checks.map((c: { name: string; passes: number }) => [c.name, c.passes]),
    [
      ['is 200', 20],
      ['json body', 20],
    ],
  );
  assert.equal(j.thresholds.length, 7);
  assert.ok(j.thresholds.every((t: { ok: boolean }) => t.ok));
  assert.equal(t.srv.paths.get('/ok'), 20);
  assert.match(r.stdout, /http_req_duration/);
  assert.match(r.stdout, /PASSED/);
});

test('tickstorm/ws: a script connects, sends, awaits the echo; ws_* metrics and thresholds', async () => {
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  wss.on('connection', (c) => c.on('message', (m) => c.send(`echo:${m}`)));
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  try {
    const f = script(
      'ws.ts',
      `import ws from 'tickstorm/ws';
import { check } from 'tickstorm';
import { Trend } from 'tickstorm/metrics';
const rtt = new Trend('echo_rtt');
export const options = {
  vus: 2, iterations: 6,
  thresholds: {
    ws_sessions: ['count==6'], ws_msgs_received: ['count==6'], ws_connecting: ['p(95)<5000'], checks: ['rate==1'],
    ws_ping: ['count==12', 'max<5000'], ws_session_duration: ['count==6', 'min>0'],
  },
};
export default async function () {
  const s = await ws.connect('ws://127.0.0.1:${port}/feed');
  const t0 = performance.now();
  s.send('hi');
  const m = await s.next(5000);
  rtt.add(performance.now() - t0);
  check(m, { 'echoed': (x) => x === 'echo:hi' });
  let pongs = 0;
  const two = new Promise((resolve) => s.on('pong', () => { if (++pongs === 2) resolve(); }));
  s.ping();
  s.ping();
  await two;
  const closed = new Promise((resolve) => s.on('close', resolve));
  await s.close();
  await closed;
}
`,
    );
    const json = join(t.dir, 'ws.json');
    const r = await run(['run', f, '--json', json]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(j.metrics.ws_sessions.values.count, 6);
    assert.equal(j.metrics.ws_msgs_sent.values.count, 6);
    assert.equal(j.metrics.echo_rtt.values.count, 6);
    // k6's ws_ping (each ping to its pong) and ws_session_duration (handshake start to close)
    assert.equal(j.metrics.ws_ping.values.count, 12);
    assert.equal(j.metrics.ws_session_duration.values.count, 6);
    assert.ok(j.metrics.ws_session_duration.values.min >= j.metrics.ws_ping.values.min);
    assert.ok(j.thresholds.every((x: { ok: boolean }) => x.ok));
    assert.equal(j.requests, 0, 'no HTTP requests');
    assert.equal(j.scenarios[0].entries[0].name, 'connect /feed');
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  }
});

test('a .js script whose threshold fails exits 99; the lab strings work too', async () => {
  const f = script(
    'fail.js',
    `import http from 'tickstorm/http';
export const options = { vus: 1, iterations: 5, thresholds: { http_req_failed: ['rate<0.5'] } };
export default async function () { await http.post('$URL/fail', { a: 1 }); }
`,
  );
  const r = await run(['run', f, '--threshold', 'error_rate<1%']);
  assert.equal(r.code, 99, r.stderr + r.stdout);
  assert.match(r.stdout, /✗ http_req_failed: rate<0.5/);
  assert.match(r.stdout, /error_rate<1%/);
});

test('an abortOnFail threshold stops the run early: exit 108', async () => {
  const f = script(
    'abort.ts',
    `import http from 'tickstorm/http';
export const options = {
  scenarios: { hold: { executor: 'constant-vus', vus: 2, duration: '60s' } },
  thresholds: { http_req_failed: [{ threshold: 'rate<0.5', abortOnFail: true }] },
};
export default async function () { await http.get('$URL/fail'); }
`,
  );
  const json = join(t.dir, 'abort.json');
  const t0 = Date.now();
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 108, r.stderr + r.stdout);
  assert.ok(Date.now() - t0 < 30_000, 'stopped well before the 60 s');
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.exitCode, 108);
  assert.match(j.abortedBy, /http_req_failed/);
  assert.match(r.stdout, /ABORTED by threshold/);
});

test('script errors exit 107: a throw at load time, no default function', async () => {
  const a = script('throws.ts', `throw new Error('broken at load');\nexport default async function () {}\n`);
  const r1 = await run(['run', a]);
  assert.equal(r1.code, 107, r1.stderr);
  assert.match(r1.stderr, /script error in .*throws\.ts/);
  assert.match(r1.stderr, /broken at load/);
  const b = script('nodefault.js', `export const options = {};\n`);
  const r2 = await run(['run', b]);
  assert.equal(r2.code, 107, r2.stderr);
  assert.match(r2.stderr, /no default function/);
});

test('invalid options and thresholds exit 104 naming each problem; nothing runs', async () => {
  const before = t.srv.paths.get('/never') ?? 0;
  const f = script(
    'bad.ts',
    `import http from 'tickstorm/http';
export const options = {
  scenarios: { x: { executor: 'constant-arrival-rate', rate: -1, duration: '1s', preAllocatedVUs: 1 } },
  thresholds: { nope: ['count>1'], http_req_duration: ['rate<1'] },
};
export default async function () { await http.get('$URL/never'); }
`,
  );
  const r = await run(['run', f, '--rate', '5', '--ca', join(t.dir, 'missing.pem')]);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /--rate is a scenario parameter/);
  const r2 = await run(['run', f]);
  assert.equal(r2.code, 104, r2.stderr);
  assert.match(r2.stderr, /options\.scenarios\.x: constant-arrival-rate: rate must be a number > 0/);
  assert.match(r2.stderr, /unknown metric 'nope'/);
  assert.match(r2.stderr, /'rate<1' is not a threshold for a trend/);
  const r4 = await run(['run', f, '--out', 'influxdb=http://x']);
  assert.equal(r4.code, 104);
  assert.match(r4.stderr, /--out must be json=FILE/);
  // k6's -c/--config FILE (a JSON file of options) is not read: the message says what to do
  const r5 = await run(['run', f, '-c', join(t.dir, 'k6.json')]);
  assert.equal(r5.code, 104);
  assert.match(
    r5.stderr,
    /unknown option '-c': k6's -c is not in tickstorm run; k6's options file \(-c\/--config\) is not read here/,
  );
  assert.match(r5.stderr, /JSON\.parse\(open\('\.\/config\.json'\)\)/);
  const r6 = await run(['run', f, '--config', join(t.dir, 'k6.json')]);
  assert.equal(r6.code, 104);
  assert.match(
    r6.stderr,
    /--config is the built-in scenarios' file of thresholds and parameters, not a script's/,
  );
  assert.match(r6.stderr, /--config-file FILE/);
  // k6's other flags it lacks: each named with what fits instead, every one listed at once
  const r7 = await run(['run', f, '--insecure-skip-tls-verify', '--rps', '10', '--http-debug', '--bogus']);
  assert.equal(r7.code, 104);
  assert.match(r7.stderr, /invalid configuration \(4 problems\)/);
  assert.match(
    r7.stderr,
    /unknown option '--insecure-skip-tls-verify': k6's --insecure-skip-tls-verify is not in tickstorm run; use --insecure/,
  );
  assert.match(r7.stderr, /unknown option '--rps': .* an arrival-rate executor/);
  assert.match(r7.stderr, /unknown option '--http-debug': .*console\.log\(res\.status/);
  assert.match(r7.stderr, /unknown option '--bogus'\n/);
  const r3 = await run(['run', join(t.dir, 'missing.ts')]);
  assert.equal(r3.code, 104);
  assert.match(r3.stderr, /no such script file/);
  assert.equal(t.srv.paths.get('/never') ?? 0, before);
});
