/**
 * Bounded services: a slow body or slow headers are closed by the request/headers timeouts,
 * connections beyond the cap get a coded 503 (beyond the overflow, closed on accept), an oversized body gets a 413 the client
 * can read (lingering close), an idle ingest WebSocket is closed, and a full metrics-ingest
 * queue answers 503 + Retry-After. No sleeps: every wait is on an event.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { IngestBound } from '../src/guards/ingest-bound.ts';
import { type Fixture, pollUntil, startFixture } from './support/trading-fixture.ts';

/** Connects, writes `data`, and resolves with everything read until the server closes. */
function rawExchange(port: number, data: string | Buffer[]): { done: Promise<string>; socket: net.Socket } {
  const socket = net.connect(port, '127.0.0.1');
  let got = '';
  socket.on('data', (d) => {
    got += d.toString('latin1');
  });
  socket.on('error', () => {});
  const done = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
  if (typeof data === 'string') socket.write(data);
  else {
    let i = 0;
    const pump = () => {
      while (i < data.length) {
        if (!socket.write(data[i++])) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }
  return { done, socket };
}

describe('service limits', () => {
  let f: Fixture;
  let port: number;
  before(async () => {
    f = await startFixture({
      services: ['execution-engine', 'market-data'],
      inputLog: false,
      limits: {
        headersTimeoutMs: 200,
        requestTimeoutMs: 400,
        checkIntervalMs: 50,
        maxConnections: 16,
        overflowConnections: 1,
      },
    });
    port = f.sys.handles['execution-engine']!.port;
  });
  after(() => f.close());

  test('a slow body is answered 408 and closed by the request timeout', async () => {
    const { done } = rawExchange(
      port,
      'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sym',
    );
    const got = await done;
    assert.match(got, /^HTTP\/1.1 408/);
  });

  test('slow headers are answered 408 (coded) and closed by the headers timeout', async () => {
    // The first request's headers deadline closed such a connection without a word.
    for (const partial of ['GET /stats HTTP/1.1\r\nHost: x\r\nX-Slow: a', 'GET /sta']) {
      const { done } = rawExchange(port, partial);
      const got = await done;
      assert.match(got, /^HTTP\/1.1 408/, got);
      const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
      assert.equal(body.error.code, 'TRD_ERR_REQUEST_TIMEOUT');
    }
  });

  test('a silent connection is closed by the headers timeout', async () => {
    const { done } = rawExchange(port, '');
    await done;
  });

  test('a 5 MB non-JSON body gets a 413 the client reads', async () => {
    const size = 5_000_000;
    const chunks = [
      Buffer.from(
        `POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      ),
    ];
    for (let sent = 0; sent < size; sent += 65_536)
      chunks.push(Buffer.alloc(Math.min(65_536, size - sent), 'z'));
    const { done } = rawExchange(port, chunks);
    const got = await done;
    assert.match(got, /^HTTP\/1.1 413/);
    const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
    assert.equal(body.error.code, 'TRD_ERR_PAYLOAD_TOO_LARGE');
    // The limit is named, so a client knows how far to cut its body.
    assert.equal(body.error.message, 'the request body is over 65536 bytes, the limit of POST /orders');
  });

  test('past the cap, connections get a coded 503 they can read; past the overflow, closed on accept', async () => {
    const mdPort = f.sys.handles['market-data']!.port;
    // WebSocket connections hold their slot (no HTTP timeouts after the upgrade).
    const held: WebSocket[] = [];
    const coded = (got: string, what: string) => {
      assert.match(got, /^HTTP\/1.1 503 /, what);
      assert.match(got, /\r\nretry-after: 1\r\n/i, what);
      const body = JSON.parse(got.slice(got.indexOf('\r\n\r\n') + 4));
      assert.equal(body.error.code, 'TRD_ERR_TOO_MANY_CONNECTIONS', what);
      assert.match(body.error.message, /at most 16 connections/, what);
    };
    // The one overflow slot frees when the server has seen the last overflow socket close:
    // until then a new connection is closed on accept ('' read), and is tried again.
    const answered = (request: string) =>
      pollUntil('an overflow connection answered', async () => {
        const got = await rawExchange(mdPort, request).done;
        return got === '' ? undefined : got;
      });
    try {
      for (let i = 0; i < 16; i++) {
        const ws = new WebSocket(`ws://127.0.0.1:${mdPort}/stream`);
        held.push(ws);
        await once(ws, 'open');
      }
      coded(await answered('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'), 'a request');
      coded(
        await answered(
          'GET /stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
        ),
        'an upgrade',
      );
      // One silent connection holds the overflow slot; the next is closed on accept, unanswered.
      await pollUntil('a connection closed on accept', async () => {
        const holder = net.connect(mdPort, '127.0.0.1');
        holder.on('error', () => {});
        let holderClosed = false;
        holder.once('close', () => {
          holderClosed = true;
        });
        await once(holder, 'connect');
        const got = await rawExchange(mdPort, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n').done;
        const dropped = got === '' && !holderClosed;
        holder.destroy();
        if (!dropped && got !== '') coded(got, 'while the slot was still free');
        return dropped ? true : undefined;
      });
    } finally {
      for (const ws of held) ws.terminate();
    }
    await pollUntil('a slot free again', async () => {
      const r = await f.http.get(`${f.url('market-data')}/health`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    });
  });
});

describe('ingest WebSocket idle timeout', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ services: ['market-data'], inputLog: false });
  });
  after(() => f.close());

  test('an ingest socket with no traffic is closed with 1001 and the reason', async () => {
    const { startMarketDataService } = await import('../src/market-data/ingest-server.ts');
    const svc = await startMarketDataService({
      instruments: f.sys.instruments,
      bus: f.sys.bus,
      port: 0,
      idleTimeoutMs: 100,
    });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${svc.port}/stream`);
      ws.on('error', () => {});
      await once(ws, 'open');
      const [code, reason] = (await once(ws, 'close')) as [number, Buffer];
      // Not a bare cut (1006): the client reads why.
      assert.equal(code, 1001);
      assert.equal(reason.toString(), 'idle: no traffic for 100 ms');
    } finally {
      await svc.close();
    }
  });
});

describe('bounded metrics ingest', () => {
  test('a batch that does not fit is refused at once; nothing accepted is dropped', async () => {
    const bound = new IngestBound(10);
    let release!: () => void;
    const blocked = bound.run(8, () => new Promise<number>((r) => (release = () => r(8))));
    await assert.rejects(
      bound.run(5, async () => 5),
      /ingest queue full/,
    );
    release();
    assert.equal(await blocked, 8);
    assert.equal(await bound.run(10, async () => 10), 10);
    assert.equal(bound.refused, 1);
    assert.equal(bound.pendingRows, 0);
  });
});

describe('service limits: a burst of headers deadlines', () => {
  let f: Fixture;
  let port: number;
  before(async () => {
    f = await startFixture({
      services: ['execution-engine'],
      inputLog: false,
      limits: { headersTimeoutMs: 300, checkIntervalMs: 50, deadlineAnswersPerSecond: 5 },
    });
    port = f.sys.handles['execution-engine']!.port;
  });
  after(() => f.close());

  test('past deadlineAnswersPerSecond in one second, half-sent requests are closed without a 408', async () => {
    // 20 slowloris-like connections whose deadlines fall within ~30 ms of each other: each 408
    // is a write its client is woken for, so at most 5 a second are answered, the rest closed.
    const got = await Promise.all(
      Array.from({ length: 20 }, () => rawExchange(port, 'POST /orders HTTP/1.1\r\nHost: x\r\n').done),
    );
    const answered = got.filter((g) => /^HTTP\/1.1 408/.test(g)).length;
    assert.equal(got.filter((g) => g !== '' && !/^HTTP\/1.1 408/.test(g)).length, 0, got.join('\n'));
    // 5 in the second of the first answer; the deadlines cannot straddle more than two seconds
    assert.ok(answered >= 5 && answered <= 10, `${answered} answered 408`);
  });
});
