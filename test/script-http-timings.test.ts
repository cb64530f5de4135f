/**
 * k6's http_req_blocked / _connecting / _tls_handshaking / _sending / _waiting / _receiving,
 * data_sent, vus and vus_max in a script run: measured against a server that holds its
 * response's head D ms and then streams its body over E ms (waiting >= D, receiving >= E, in
 * res.timings as in the metrics), a new connection's connect and TLS handshake (http and
 * https, 0 on a reused connection), data_sent
 * equal to the bytes the server read, thresholds on them (99 when one fails), the summary in
 * k6's order, handleSummary's data, --out json's lines, a ramping-vus scenario's VUs, and
 * `run --master` adding its workers' figures.
 *
 * A script text names a 'k6/...' module on its first line only: the boundaries check reads
 * the import lines of this file, and a k6 name is no package of the repository.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { selfSignedCert } from './support/certs.ts';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm as run } from './support/cli.ts';

/** The head's delay and the body's spread, ms. */
const D = 300;
const E = 300;
/** Slack under D and E for the timer's and the clock's rounding. */
const SLACK = 15;
/**
 * Slack under E for receiving: a client busy when the head arrives reads it late, and the
 * time it waited moves from receiving into waiting (waiting only grows). On a loaded 2-core
 * machine that stall reached a few tens of ms; receiving stays far above the fast request's.
 */
const RECEIVE_SLACK = 120;

let srv: Server;
let url = '';
let dir = '';
const sockets: Socket[] = [];
/** Bytes the server read from its clients so far (every connection, closed ones too). */
const bytesRead = () => sockets.reduce((a, s) => a + s.bytesRead, 0);
const { start, stopAll } = trackedTickstorm();
afterEach(stopAll);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-timings-'));
  srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url !== '/slow') {
        res.end('ok');
        return;
      }
      // the head after D ms (written with the first piece of the body), the rest E ms later
      const head = setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a'.repeat(100));
        const rest = setTimeout(() => res.end('b'.repeat(100)), E);
        res.on('close', () => clearTimeout(rest));
      }, D);
      res.on('close', () => clearTimeout(head));
    });
  });
  srv.on('connection', (s) => sockets.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const a = srv.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
});
after(async () => {
  srv.closeAllConnections();
  await new Promise((r) => srv.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text.replaceAll('$URL', url).replaceAll('$DIR', dir));
  return f;
}

const jsonLines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

test('waiting >= D and receiving >= E, in res.timings and the trends; data_sent is the bytes the server read; --out json and handleSummary carry them', async () => {
  const f = script(
    'phases.js',
    `import http from 'k6/http';
import { check } from 'k6';
import { textSummary } from 'k6-summary';
export const options = {
  iterations: 3,
  thresholds: {
    'http_req_waiting{name:/slow}': ['min>=${D - SLACK}'],
    'http_req_receiving{name:/slow}': ['min>=${E - RECEIVE_SLACK}'],
    'http_req_waiting{name:/fast}': ['max<${D - SLACK}'],
    'http_req_blocked{method:POST}': ['count==3'],
    http_req_sending: ['count==6'],
    data_sent: ['count>2000'],
  },
};
export default async function () {
  const r = await http.post('$URL/slow', 'x'.repeat(1000), { headers: { 'X-Test': 'abc' } });
  check(r, {
    'res.timings.waiting >= D': (x) => x.timings.waiting >= ${D - SLACK},
    'res.timings.receiving >= E': (x) => x.timings.receiving >= ${E - RECEIVE_SLACK},
    'the phases add up to duration': (x) =>
      Math.abs(
        x.timings.blocked + x.timings.connecting + x.timings.tls_handshaking + x.timings.sending + x.timings.waiting +
          x.timings.receiving - x.timings.duration,
      ) < 0.01,
  });
  await http.get('$URL/fast');
}
export function handleSummary(data) {
  return { '$DIR/phases-data.json': JSON.stringify(data.metrics), stdout: textSummary(data, { enableColors: false }) };
}
`,
  );
  const before = bytesRead();
  const json = join(dir, 'phases.json');
  const lines = join(dir, 'phases.jsonl');
  const r = await run(['run', f, '--json', json, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const sent = bytesRead() - before;
  const s = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(
    s.checks.map((c: { name: string; fails: number }) => `${c.name}:${c.fails}`),
    ['res.timings.waiting >= D:0', 'res.timings.receiving >= E:0', 'the phases add up to duration:0'],
  );
  const m = s.metrics;
  for (const name of [
    'http_req_blocked',
    'http_req_connecting',
    'http_req_tls_handshaking',
    'http_req_sending',
    'http_req_waiting',
    'http_req_receiving',
  ]) {
    assert.equal(m[name].type, 'trend', name);
    assert.equal(m[name].values.count, 6, name);
  }
  assert.ok(m.http_req_waiting.values.max >= D - SLACK, JSON.stringify(m.http_req_waiting));
  assert.ok(m.http_req_receiving.values.max >= E - RECEIVE_SLACK, JSON.stringify(m.http_req_receiving));
  // exact: the request lines, headers and bodies as the server read them
  assert.equal(m.data_sent.values.count, sent);
  assert.ok(sent > 3000, String(sent));

  const data = JSON.parse(readFileSync(join(dir, 'phases-data.json'), 'utf8'));
  assert.equal(data.http_req_waiting.contains, 'time');
  assert.equal(data.http_req_blocked.contains, 'time');
  assert.equal(data.data_sent.contains, 'data');
  assert.equal(data.data_sent.values.count, sent);
  assert.deepEqual(data['http_req_waiting{name:/slow}'].thresholds, { [`min>=${D - SLACK}`]: { ok: true } });
  assert.equal(data.vus.type, 'gauge');
  assert.equal(data.vus.contains, 'default');
  assert.equal(data.vus_max.values.value, 1);
  assert.match(r.stdout, /http_req_waiting\.+: avg=[\d.]+(ms|s) /);
  assert.match(r.stdout, /data_sent\.+: [\d.]+ kB /);

  const out = jsonLines(lines);
  const metric = (name: string) => out.find((l) => l.type === 'Metric' && l.metric === name)?.data;
  const points = (name: string) => out.filter((l) => l.type === 'Point' && l.metric === name);
  assert.equal(metric('http_req_waiting').contains, 'time');
  assert.equal(metric('data_sent').contains, 'data');
  assert.equal(metric('vus').type, 'gauge');
  const waiting = points('http_req_waiting');
  assert.equal(waiting.length, 6);
  const slow = waiting.filter((p) => p.data.tags.name === '/slow');
  assert.equal(slow.length, 3);
  for (const p of slow) {
    assert.ok(p.data.value >= D - SLACK, JSON.stringify(p));
    for (const [k, v] of Object.entries({
      method: 'POST',
      status: '200',
      expected_response: 'true',
      scenario: 'default',
      group: '',
    }))
      assert.equal(p.data.tags[k], v, `${k} in ${JSON.stringify(p)}`);
  }
  for (const name of [
    'http_req_blocked',
    'http_req_connecting',
    'http_req_tls_handshaking',
    'http_req_sending',
    'http_req_receiving',
  ])
    assert.equal(points(name).length, 6, name);
  assert.equal(
    points('data_sent').reduce((a, p) => a + p.data.value, 0),
    sent,
  );
  assert.ok(points('vus').length >= 1);
});

test('a threshold on http_req_waiting fails the run (99); the summary lists the metrics in k6’s order', async () => {
  const f = script(
    'ttfb.js',
    `import http from 'k6/http';
export const options = { iterations: 1, thresholds: { http_req_waiting: ['p(95)<${D - SLACK}'] } };
export default async function () { await http.get('$URL/slow'); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 99, r.stderr + r.stdout);
  assert.match(r.stdout, /✗ http_req_waiting\.+: avg=/);
  assert.match(r.stdout, new RegExp(`✗ http_req_waiting: p\\(95\\)<${D - SLACK} \\(actual \\d`));
  const names = [...r.stdout.matchAll(/^ {2}[✓✗ ] ([a-z_]+)\.{2,}:/gm)].map((x) => x[1]);
  assert.deepEqual(names, [
    'data_received',
    'data_sent',
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
    'vus',
    'vus_max',
  ]);
});

test('http_req_connecting and http_req_tls_handshaking: each new connection’s, on the request that opened it (as many as the servers accepted); the handshake over https only', async () => {
  selfSignedCert({
    key: join(dir, 'k.pem'),
    cert: join(dir, 'c.pem'),
    cn: 'localhost',
    san: 'IP:127.0.0.1',
    days: 1,
  });
  const tlsSrv = createHttpsServer(
    { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) },
    (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    },
  );
  let tlsConnections = 0;
  tlsSrv.on('secureConnection', () => tlsConnections++);
  await new Promise<void>((r) => tlsSrv.listen(0, '127.0.0.1', r));
  try {
    const a = tlsSrv.address();
    const https = `https://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
    const f = script(
      'connect.js',
      `import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';
const opened = new Counter('opened');
const handshakes = new Counter('handshakes');
export const options = {
  iterations: 3,
  thresholds: { http_req_connecting: ['count==12'], 'http_req_tls_handshaking{name:/tls}': ['max>0'], 'http_req_tls_handshaking{name:/plain}': ['max==0'] },
};
const sum = (t) => t.blocked + t.connecting + t.tls_handshaking + t.sending + t.waiting + t.receiving;
export default async function () {
  const rs = [];
  for (const [url, name] of [['$URL/fast', '/plain'], ['$URL/fast', '/plain'], ['${https}/a', '/tls'], ['${https}/a', '/tls']])
    rs.push(await http.get(url, { tags: { name } }));
  for (const r of rs) {
    const kind = r.url.startsWith('https:') ? 'tls' : 'plain';
    if (r.timings.connecting > 0) opened.add(1, { kind });
    if (r.timings.tls_handshaking > 0) handshakes.add(1, { kind });
  }
  check(rs, {
    'the phases add up to duration': (x) => x.every((r) => Math.abs(sum(r.timings) - r.timings.duration) < 0.01),
  });
  if (__ITER === 0) check(rs, { 'the first requests opened connections': (x) => x[0].timings.connecting > 0 && x[2].timings.connecting > 0 && x[2].timings.tls_handshaking > 0 });
}
`,
    );
    const json = join(dir, 'connect.json');
    const lines = join(dir, 'connect.jsonl');
    const plainBefore = sockets.length;
    const r = await run(['run', f, '--insecure', '--json', json, '--out', `json=${lines}`]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const plainConnections = sockets.length - plainBefore;
    const s = JSON.parse(readFileSync(json, 'utf8'));
    assert.deepEqual(
      s.checks.map((c: { name: string; fails: number }) => `${c.name}:${c.fails}`),
      ['the phases add up to duration:0', 'the first requests opened connections:0'],
    );
    const points = jsonLines(lines).filter((l) => l.type === 'Point');
    const count = (metric: string, kind: string) =>
      points
        .filter((p) => p.metric === metric && p.data.tags.kind === kind)
        .reduce((n, p) => n + p.data.value, 0);
    // one request with a connect time per connection a server accepted, none more
    assert.ok(plainConnections >= 1 && tlsConnections >= 1, `${plainConnections} ${tlsConnections}`);
    assert.equal(count('opened', 'plain'), plainConnections);
    assert.equal(count('opened', 'tls'), tlsConnections);
    assert.equal(count('handshakes', 'tls'), tlsConnections);
    assert.equal(count('handshakes', 'plain'), 0);
    assert.equal(s.metrics.http_req_tls_handshaking.values.count, 12);
  } finally {
    tlsSrv.closeAllConnections();
    await new Promise((r) => tlsSrv.close(r));
  }
});

test('vus and vus_max follow a ramping-vus scenario: 0 at its start, 4 once ramped, 4 allocated throughout', async () => {
  const f = script(
    'ramp.js',
    `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: { ramp: { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '1s', target: 4 }, { duration: '2s', target: 4 }], gracefulRampDown: '0s' } },
  thresholds: { vus: ['value<=4'], vus_max: ['value==4'] },
};
export default async function () { await http.get('$URL/fast'); await sleep(0.05); }
export function handleSummary(data) {
  return { '$DIR/ramp-data.json': JSON.stringify({ vus: data.metrics.vus, vus_max: data.metrics.vus_max }) };
}
`,
  );
  const lines = join(dir, 'ramp.jsonl');
  const r = await run(['run', f, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const d = JSON.parse(readFileSync(join(dir, 'ramp-data.json'), 'utf8'));
  assert.equal(d.vus.type, 'gauge');
  assert.deepEqual({ min: d.vus.values.min, max: d.vus.values.max }, { min: 0, max: 4 });
  assert.deepEqual(d.vus_max.values, { value: 4, min: 4, max: 4 });
  assert.deepEqual(d.vus_max.thresholds, { 'value==4': { ok: true } });
  const vus = jsonLines(lines).filter((l) => l.type === 'Point' && l.metric === 'vus');
  // one a second for the whole test, as k6's (none at the start), with the run's tags only
  assert.ok(vus.length >= 2 && vus.length <= 4, JSON.stringify(vus));
  assert.ok(vus.some((p) => p.data.value === 4));
  for (const p of vus) assert.deepEqual(p.data.tags, {});
});

test('--master with 2 workers adds their vus, their phases and their data_sent as one run’s', async () => {
  const f = script(
    'dist.js',
    `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 4, duration: '2s' } },
  thresholds: { vus_max: ['value>=2'], data_sent: ['count>0'] },
  summaryTrendStats: ['avg', 'count'],
};
export default async function () { await http.post('$URL/fast', 'y'.repeat(500)); await sleep(0.1); }
export function handleSummary(data) {
  const pick = (n) => data.metrics[n] && data.metrics[n].values;
  return { '$DIR/dist-data.json': JSON.stringify(Object.fromEntries(
    ['vus', 'vus_max', 'data_sent', 'http_reqs', 'http_req_waiting', 'http_req_sending'].map((n) => [n, pick(n)]))) };
}
`,
  );
  const before = bytesRead();
  const m = start(['run', f, '--master', '--expect-workers', '2', '--master-bind-port', '0']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  const d = JSON.parse(readFileSync(join(dir, 'dist-data.json'), 'utf8'));
  // each worker holds 2 of the 4 VUs: the sum of a second is the whole test's
  assert.equal(d.vus.max, 4, JSON.stringify(d.vus));
  assert.equal(d.vus_max.max, 4, JSON.stringify(d.vus_max));
  assert.equal(d.data_sent.count, bytesRead() - before);
  assert.ok(d.http_reqs.count > 8, JSON.stringify(d.http_reqs));
  assert.equal(d.http_req_waiting.count, d.http_reqs.count);
  assert.equal(d.http_req_sending.count, d.http_reqs.count);
});
