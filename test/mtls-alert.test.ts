/**
 * Over TLS 1.3 a server that requires a client certificate and gets none sends its alert after
 * the handshake. Node emits the alert as the client socket's 'error' but does not destroy the
 * socket; the raw client used to wait for the 'close' that followed the server's end of the
 * connection, and a request written into the socket after the alert stayed pending for good,
 * with no 'close' (under load `tickstorm http` reported 0 requests and 0 errors). Here a proxy
 * in front of such a server forwards the alert but keeps the connection open: each request must
 * fail at once with the alert, never wait for a close or the timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpClient, prepareRequest, type RequestEvent, RequestEvents } from '@tickstorm/loadlab';
import { selfSignedCert } from './support/certs.ts';

let dir: string;
let server: https.Server;
let proxy: net.Server;
let origin: string;
const held = new Set<net.Socket>();

const listen = (s: net.Server) =>
  new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-mtls-alert-'));
  selfSignedCert({ cwd: dir, key: 'server.key', cert: 'server.pem', cn: 'localhost', days: 2 });
  server = https.createServer(
    {
      key: readFileSync(join(dir, 'server.key')),
      cert: readFileSync(join(dir, 'server.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (_req, res) => res.end('never: no client certificate'),
  );
  const upstream = await listen(server);
  // Bytes both ways; the server's end of a connection is not passed on to the client.
  proxy = net.createServer((client) => {
    held.add(client);
    client.on('close', () => held.delete(client));
    client.on('error', () => undefined);
    const up = net.connect(upstream, '127.0.0.1');
    up.on('error', () => undefined);
    up.on('data', (d) => client.write(d));
    client.on('data', (d) => up.write(d));
    client.on('end', () => up.end());
  });
  origin = `https://127.0.0.1:${await listen(proxy)}`;
});

after(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => proxy.close(r));
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('a TLS alert after the handshake fails the request at once, on a prewarmed connection and on a fresh one', async () => {
  const events = new RequestEvents();
  const seen: (string | null)[] = [];
  events.on((e: RequestEvent) => seen.push(e.error));
  // the timeout only bounds the test: the alert must end each request well before it
  const client = new HttpClient({
    url: origin,
    connections: 1,
    events,
    timeoutMs: 3000,
    tls: { insecure: true },
  });
  try {
    await client.prewarm(1);
    const req = prepareRequest(`${origin}/`);
    const first = await client.request(req);
    const second = await client.request(req);
    for (const r of [first, second]) {
      assert.equal(r.ok, false);
      assert.equal(r.error, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    }
    assert.deepEqual(seen, [first.error, second.error]);
    assert.equal(client.timeouts, 0);
    assert.equal(client.connects, 2, 'the second request on a fresh connection');
  } finally {
    await client.close();
  }
});
