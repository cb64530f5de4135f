import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import {
  HttpClient,
  prepareRequest,
  type RequestEvent,
  RequestEvents,
  ResponseParser,
} from '@tickstorm/loadlab';
import { startServer } from '@tickstorm/loadlab/testing';

function parseAll(raw: string, step: number, noBody = false): [number, number, boolean][] {
  const out: [number, number, boolean][] = [];
  const p = new ResponseParser((s, b, c) => out.push([s, b, c]));
  p.noBody = noBody;
  const buf = Buffer.from(raw, 'latin1');
  for (let i = 0; i < buf.length; i += step)
    assert.ok(p.feed(buf, i, Math.min(buf.length, i + step)), p.failed ?? '');
  p.onClose();
  return out;
}

test('response parser: content-length, chunked with extensions and trailers, interim 1xx, 204, HTTP/1.0, any split', () => {
  const raw =
    'HTTP/1.1 100 Continue\r\n\r\n' +
    'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello' +
    'HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\nConnection: keep-alive\r\n\r\n' +
    '4;ext=1\r\nwiki\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n' +
    'HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n' +
    'HTTP/1.1 503 Service Unavailable\r\nCONTENT-LENGTH: 3\r\nCONNECTION: close\r\n\r\nbye' +
    'HTTP/1.0 200 OK\r\n\r\nuntil the end';
  const expected: [number, number, boolean][] = [
    [200, 5, false],
    [201, 30, false],
    [204, 0, false],
    [503, 3, true],
    [200, 13, true],
  ];
  for (const step of [1, 2, 3, 7, 64, raw.length])
    assert.deepEqual(parseAll(raw, step), expected, `step ${step}`);
  assert.deepEqual(parseAll('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 5, true), [[200, 0, false]]);
  const bad = new ResponseParser(() => {});
  assert.equal(bad.feed(Buffer.from('garbage\r\n\r\n'), 0, 11), false);
});

test('prepared requests: one buffer with Host and Content-Length', () => {
  const r = prepareRequest('http://127.0.0.1:8000/x?y=1', {
    method: 'post',
    headers: [['X-A', '1']],
    body: '{"a":1}',
  });
  assert.equal(r.method, 'POST');
  assert.equal(r.name, '/x');
  assert.equal(
    r.bytes.toString(),
    'POST /x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-A: 1\r\nContent-Length: 7\r\n\r\n{"a":1}',
  );
  assert.throws(() => prepareRequest('http://h/', { headers: { 'Bad Name': 'x' } }));
});

function collect(): { events: RequestEvents; seen: RequestEvent[] } {
  const events = new RequestEvents();
  const seen: RequestEvent[] = [];
  events.on((e) => seen.push({ ...e }));
  return { events, seen };
}

test('http client: content-length and chunked bodies from a real server', async () => {
  const srv = await startServer((req, res) => {
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a'.repeat(1000));
      res.write('b'.repeat(70_000));
      res.end('c');
    } else if (req.url === '/missing') {
      res.writeHead(404, { 'content-length': '9' });
      res.end('not found');
    } else {
      res.writeHead(200, { 'content-length': '3' });
      res.end('abc');
    }
  });
  const { events, seen } = collect();
  const client = new HttpClient({ url: srv.url, connections: 2, events });
  try {
    const a = await client.request(prepareRequest(srv.url, { path: '/chunked' }));
    const b = await client.request(prepareRequest(srv.url, { path: '/plain' }));
    const c = await client.request(prepareRequest(srv.url, { path: '/missing' }));
    assert.deepEqual([a.status, a.bodyBytes, a.ok], [200, 71_001, true]);
    assert.deepEqual([b.status, b.bodyBytes, b.ok], [200, 3, true]);
    assert.deepEqual([c.status, c.ok, c.error], [404, false, 'HTTP 404']);
    assert.equal(seen.length, 3);
    assert.equal(seen[0].name, '/chunked');
    assert.ok(seen.every((e) => e.latencyUs > 0));
    assert.equal(client.connects, 1); // keep-alive: one connection served all three
  } finally {
    await client.close();
    await srv.close();
  }
});

test('http client survives keep-alive closes: Connection: close and sockets closed by the server', async () => {
  const srv = await startServer((req, res, n) => {
    if (n % 3 === 1) res.setHeader('connection', 'close');
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok', () => {
      if (n % 3 === 2) req.socket.destroy(); // closed without notice after the response
    });
  });
  const { events, seen } = collect();
  const client = new HttpClient({ url: srv.url, connections: 1, events });
  try {
    const req = prepareRequest(srv.url);
    for (let i = 0; i < 30; i++) {
      const r = await client.request(req);
      assert.equal(r.ok, true, `request ${i}: ${r.error}`);
    }
    assert.equal(seen.length, 30);
    assert.ok(client.connects >= 10, `connects ${client.connects}`);
  } finally {
    await client.close();
    await srv.close();
  }
});

test('http client: refused connections and timeouts are failed request events', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const { events, seen } = collect();
  const refused = new HttpClient({ url: `http://127.0.0.1:${port}/`, connections: 1, events });
  const r = await refused.request(prepareRequest(`http://127.0.0.1:${port}/`));
  assert.deepEqual([r.ok, r.status, r.error], [false, 0, 'ECONNREFUSED']);
  await refused.close();

  const silent = await startServer(() => {});
  const slow = new HttpClient({ url: silent.url, connections: 1, events, timeoutMs: 100 });
  try {
    const t = await slow.request(prepareRequest(silent.url));
    assert.deepEqual([t.ok, t.error], [false, 'timeout']);
    assert.ok(t.latencyUs >= 100_000);
    assert.deepEqual(
      seen.map((e) => e.error),
      ['ECONNREFUSED', 'timeout'],
    );
  } finally {
    await slow.close();
    await silent.close();
  }
});

test('http client: a server that closes every connection without answering fails each request, counted each time', async () => {
  // reads the request, then closes (half the time with a reset): no response byte, ever
  let accepted = 0;
  const rude = net.createServer((s) => {
    const n = accepted++;
    s.on('error', () => undefined);
    s.once('data', () => (n % 2 === 0 ? s.end() : s.resetAndDestroy()));
  });
  await new Promise<void>((r) => rude.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(rude.address() as net.AddressInfo).port}/`;
  const { events, seen } = collect();
  const client = new HttpClient({ url, connections: 1, events, timeoutMs: 5000 });
  try {
    const req = prepareRequest(url);
    for (let i = 0; i < 6; i++) {
      const r = await client.request(req);
      assert.equal(r.ok, false);
      assert.match(String(r.error), /^(connection closed|ECONNRESET|EPIPE)$/, `request ${i}`);
    }
    assert.equal(seen.length, 6);
    assert.equal(client.timeouts, 0);
    assert.equal(client.retries, 0, 'a connection that never answered is not retried');
    assert.equal(client.connects, 6);
  } finally {
    await client.close();
    await new Promise((r) => rude.close(r));
  }
});

test('http client: requests beyond the free connections wait in order, the wait counted in their latency', async () => {
  const held: import('node:http').ServerResponse[] = [];
  const srv = await startServer((_req, res) => {
    held.push(res);
    if (held.length === 1) {
      // answer the first request only once the rest are queued behind it (client side)
      setImmediate(() => held.shift()!.end('first'));
    } else res.end('next');
  });
  const { events, seen } = collect();
  const done: number[] = [];
  const client = new HttpClient({ url: srv.url, connections: 1, events, onDone: (tag) => done.push(tag) });
  try {
    const req = prepareRequest(srv.url);
    const t0 = performance.now() * 1000;
    for (let tag = 10; tag < 15; tag++) client.submit(tag, req, t0);
    assert.equal(client.waiting, 4);
    await new Promise<void>((resolve) => events.on(() => seen.length === 5 && resolve()));
    assert.deepEqual(done, [10, 11, 12, 13, 14]);
    for (let i = 1; i < 5; i++) assert.ok(seen[i].latencyUs >= seen[i - 1].latencyUs);
    assert.equal(client.connects, 1);
  } finally {
    await client.close();
    await srv.close();
  }
});
