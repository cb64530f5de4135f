/**
 * A request past the request timeout is answered 408 TRD_ERR_REQUEST_TIMEOUT, and a client
 * still sending its body (a slow upload: httpx writes the whole body before it reads) gets to
 * read that answer: the server ends its side after the answer and drops what still arrives,
 * as after a 413, rather than destroying the socket, which reset the client's next write
 * (httpx: WriteError, Broken pipe) and lost the 408. The rest of the body, arriving after the
 * 408, never completes the request: the order is not placed.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Fixture, startFixture } from './support/trading-fixture.ts';

describe('a request timed out while its body is still being sent', () => {
  let f: Fixture;
  let port: number;
  before(async () => {
    f = await startFixture({
      services: ['execution-engine'],
      inputLog: false,
      limits: { headersTimeoutMs: 200, requestTimeoutMs: 400, checkIntervalMs: 50 },
    });
    port = f.sys.handles['execution-engine']!.port;
  });
  after(() => f.close());

  test('the client writes the rest of its body after the 408 and reads it, no reset; no order', async () => {
    const order =
      '{"symbol":"AAPL","side":"buy","type":"limit","quantity":1,"price":100,"clientOrderId":"late-1"}';
    const chunk = 8 * 1024;
    const body = Buffer.from(order + ' '.repeat(7 * chunk - order.length));
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    let error: Error | undefined;
    s.on('data', (d) => {
      got += d.toString('latin1');
    });
    s.on('error', (e) => {
      error = e;
    });
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    const ended = new Promise<void>((resolve) => s.once('end', () => resolve()));
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    s.write(
      `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    s.write(body.subarray(0, 10));
    // The 408 and the server's FIN arrive first; then the client goes on with its body.
    await ended;
    assert.match(got, /^HTTP\/1\.1 408 /, got);
    for (let off = 10; off < body.length && error === undefined; off += chunk) {
      await new Promise<void>((resolve) => {
        s.write(body.subarray(off, Math.min(off + chunk, body.length)), () => resolve());
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    s.end();
    await closed;
    assert.equal(error, undefined, `the client's writes after the 408 failed: ${error?.message}`);
    const answer = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
    assert.equal(answer.error.code, 'TRD_ERR_REQUEST_TIMEOUT');
    const open = await f.http.get(`${f.url('execution-engine')}/orders?status=open`);
    assert.equal(open.status, 200);
    assert.deepEqual(open.body.orders, [], 'the late body did not place its order');
  });
});
