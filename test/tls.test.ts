/**
 * https and wss: a local TLS server with a self-signed certificate made at test time
 * (openssl), reached by the raw HTTP client (prebuilt requests over tls.connect), the
 * WebSocket client, `tickstorm http https://`, `run --orders-url https://` and a script.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpClient, prepareRequest, RequestEvents, WsClient } from '@tickstorm/loadlab';
import { WebSocketServer } from 'ws';
import { selfSignedCert } from './support/certs.ts';
import { tickstorm as run } from './support/cli.ts';
import { assertOrdersRanClean } from './support/order-stress-verdict.ts';

let dir: string;
let cert: string;
let server: https.Server;
let wss: WebSocketServer;
let origin: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-tls-'));
  cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  selfSignedCert({ key, cert, cn: 'localhost', san: 'IP:127.0.0.1', days: 1 });
  server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.url === '/orders' ? 201 : 200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  server.keepAliveTimeout = 60_000;
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(m)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('the raw client speaks https with --ca, refuses an unknown certificate, and --insecure skips the check', async () => {
  const ca = readFileSync(cert, 'utf8');
  const req = prepareRequest(`${origin}/health`);
  const trusted = new HttpClient({ url: origin, connections: 2, events: new RequestEvents(), tls: { ca } });
  await trusted.connectAll();
  const a = await trusted.request(req);
  const b = await trusted.request(req);
  assert.deepEqual([a.status, a.ok, b.status, b.bodyBytes], [200, true, 200, 11]);
  assert.equal(trusted.connects, 2, 'keep-alive: no reconnect');
  await trusted.close();

  const strict = new HttpClient({ url: origin, connections: 1, events: new RequestEvents() });
  const c = await strict.request(req);
  assert.equal(c.ok, false);
  assert.match(String(c.error), /SELF_SIGNED|CERT/);
  await strict.close();

  const loose = new HttpClient({
    url: origin,
    connections: 1,
    events: new RequestEvents(),
    tls: { insecure: true },
  });
  assert.equal((await loose.request(req)).status, 200);
  await loose.close();
});

test('the WebSocket client connects over wss with --ca', async () => {
  const ca = readFileSync(cert, 'utf8');
  const got = new Promise<string>((resolve) => {
    void WsClient.connect({
      url: `${origin.replace('https', 'wss')}/`,
      tls: { ca },
      onMessage: (d) => resolve(String(d)),
    }).then((ws) => {
      ws.ws.send('ping');
      got.finally(() => ws.ws.terminate());
    });
  });
  assert.equal(await got, 'ping');
});

test('tickstorm http https://: --ca and --insecure', async () => {
  const json = join(dir, 'http.json');
  const a = await run(['http', `${origin}/`, '-c', '2', '-d', '1', '--ca', cert, '--json', json]);
  assert.equal(a.code, 0, a.stderr);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.ok(j.requests > 10, `requests ${j.requests}`);
  assert.equal(j.errors, 0);
  const b = await run(['http', `${origin}/`, '-c', '2', '-d', '1', '--insecure', '-R', '50', '--json', json]);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(JSON.parse(readFileSync(json, 'utf8')).errors, 0);
  const c = await run(['http', `${origin}/`, '--ca', join(dir, 'nope.pem')]);
  assert.equal(c.code, 104);
  assert.match(c.stderr, /--ca .*nope\.pem/);
});

test('run order-stress --orders-url https:// works at run time with --ca', async () => {
  const json = join(dir, 'run.json');
  const r = await run([
    'run',
    'order-stress',
    '--orders-url',
    origin,
    '--ca',
    cert,
    '--rate',
    '40',
    '--duration',
    '1s',
    '--no-watch',
    '--no-bench',
    '--json',
    json,
  ]);
  const s = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
  // 40 orders over TLS, each answered 201; its throughput and latency targets are the box's
  assertOrdersRanClean(r.code, s, 40, r.stderr + r.stdout);
});

test('a script reaches an https target with --ca (and fails without it)', async () => {
  const f = join(dir, 'tls-script.ts');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
export const options = { vus: 1, iterations: 3, thresholds: { http_req_failed: ['rate==0'] } };
export default async function () { await http.get('${origin}/x'); }
`,
  );
  const ok = await run(['run', f, '--ca', cert]);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  const bad = await run(['run', f]);
  assert.equal(bad.code, 99, bad.stderr + bad.stdout);
});
