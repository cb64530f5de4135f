/**
 * SIGTERM while a client holds a keep-alive connection with an order in flight: the order
 * in flight is answered 201 (and is there after a restart), and the next request on that
 * connection, read while the server stops, is answered 503 TRD_ERR_SHUTTING_DOWN with
 * Retry-After and Connection: close. Before, it got fastify's uncoded closing answer
 * (`{"error":"Service Unavailable",...}`, no code, no Retry-After).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import { serveSandbox } from './support/child-process.ts';
import { Http } from './support/trading-fixture.ts';

/** Resolves once `port` refuses a new connection (the server stopped listening). */
async function refused(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(false);
      });
      c.once('error', () => resolve(true));
    });
    if (ok) return;
  }
}

function post(body: string, extra = ''): string {
  return `POST /orders HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

describe('graceful stop answers every request with a coded body', () => {
  const box = serveSandbox('tickstorm-stop-');
  const http = new Http();
  const sockets: Socket[] = [];
  after(async () => {
    for (const s of sockets) s.destroy();
    await http.close();
    await box.cleanup();
  });

  test('a request read while stopping gets 503 TRD_ERR_SHUTTING_DOWN; the one in flight its 201', {
    timeout: 120_000,
  }, async () => {
    const dir = box.tmp();
    const args = ['execution-engine', '--data-dir', dir, '--execution-engine-port', '0'];
    const served = await box.serve(args);
    const port = Number(new URL(served.urls['execution-engine']).port);
    const first = JSON.stringify({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 100,
      clientOrderId: 'g-1',
    });
    const second = JSON.stringify({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 100,
      clientOrderId: 'g-2',
    });

    const s = connect(port, '127.0.0.1');
    sockets.push(s);
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
    // headers and part of the body: "100 Continue" says the server took the request in
    await new Promise<void>((resolve) => {
      s.on('data', () => {
        if (got.includes('100 Continue')) resolve();
      });
      s.write(post(first, 'Expect: 100-continue\r\n').slice(0, -first.length + 10));
    });
    served.child.kill('SIGTERM');
    await refused(port);
    // the rest of the first order, and a second request pipelined behind it
    s.write(first.slice(10) + post(second));
    await closed;

    const answers = got.split(/(?=HTTP\/1\.1 )/).filter((a) => !a.startsWith('HTTP/1.1 100'));
    assert.equal(answers.length, 2, got);
    assert.match(answers[0], /^HTTP\/1\.1 201 /);
    const id = JSON.parse(answers[0].slice(answers[0].indexOf('\r\n\r\n') + 4)).id as string;
    assert.match(answers[1], /^HTTP\/1\.1 503 /);
    assert.match(answers[1], /^retry-after: 1\r$/im);
    assert.match(answers[1], /^connection: close\r$/im);
    const body = JSON.parse(answers[1].slice(answers[1].indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 'TRD_ERR_SHUTTING_DOWN');
    assert.equal((await served.done).code, 0);

    const again = await box.serve(args);
    const ex = again.urls['execution-engine'];
    const kept = await http.get(`${ex}/orders/${id}`);
    assert.equal(kept.status, 200);
    assert.equal(kept.body.clientOrderId, 'g-1');
    // the refused one was never placed: its clientOrderId is free
    const retried = await http.post(`${ex}/orders`, JSON.parse(second));
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    again.child.kill('SIGTERM');
    assert.equal((await again.done).code, 0);
  });
});
