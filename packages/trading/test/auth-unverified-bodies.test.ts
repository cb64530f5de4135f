/**
 * Keys on, a body is read whole before its signature can be checked: the bytes of bodies
 * waiting for that check are bounded per service (auth/unverified-bodies.ts). Past the bound a
 * request is answered 503 TRD_ERR_OVERLOADED with Retry-After (closed unread when the length it
 * announces does not fit), and the bytes come back once the waiting body's signature has been
 * checked. Bytes are counted as received: a body announced and not sent holds nothing.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { signRequest } from '@tickstorm/protocol';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { isKnownSymbol, recordingSink } from './support/api-fixtures.ts';
import { KEYS_JSON, keyStore } from './support/auth-fixture.ts';

const FEED = KEYS_JSON[2];
const BOUND = 100_000;
/** A valid one-record metrics batch of exactly `bytes` bytes (padded with JSON whitespace). */
function batch(bytes: number): Buffer {
  const record = '[{"name":"m","value":1}';
  return Buffer.from(`${record}${' '.repeat(bytes - record.length - 1)}]`);
}

function head(body: Buffer, signature: 'good' | 'forged', expectContinue = false): string {
  const ts = String(Date.now());
  const secret = signature === 'good' ? FEED.secret : 'made-up-secret-0123456789';
  const sig = signRequest(secret, ts, 'POST', '/api/metrics', body);
  return (
    'POST /api/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${body.length}\r\nX-TS-Key: ${FEED.id}\r\nX-TS-Timestamp: ${ts}\r\n` +
    `X-TS-Signature: ${sig}\r\n${expectContinue ? 'Expect: 100-continue\r\n' : ''}\r\n`
  );
}

/** A raw connection collecting what the server sends. */
class Raw {
  text = '';
  private wake: (() => void) | undefined;
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.text += d;
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }
  static async open(port: number): Promise<Raw> {
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    return new Raw(s);
  }
  /** Waits until the server closed the socket. */
  async end(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
  /** Waits until the received text matches `re` (or the socket closed first). */
  async until(re: RegExp): Promise<string> {
    while (!re.test(this.text)) {
      if (this.closed) throw new Error(`closed before ${re}: ${this.text}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    return this.text;
  }
}

describe('keys on: request bodies waiting for their signature check are bounded', () => {
  const bus = new InProcessBus();
  const sink = recordingSink();
  let api: ApiService;
  let port: number;
  const raws: Raw[] = [];
  const open = async () => {
    const r = await Raw.open(port);
    raws.push(r);
    return r;
  };
  before(async () => {
    api = await startApiService({
      bus,
      isKnownSymbol,
      ingest: sink,
      port: 0,
      security: { keys: keyStore(), maxUnverifiedBodyBytes: BOUND },
    });
    port = Number(new URL(api.url).port);
  });
  after(async () => {
    for (const r of raws) r.socket.destroy();
    await api.close();
    await bus.close();
  });

  test('past the bound: the body that stops fitting is answered 503 + Retry-After, one announced past it is refused unread; the bytes come back after the check', async () => {
    // A and B each send 60,000 of their 80,000 signed bytes: 120,000 cannot all be held, so
    // whichever body's bytes stop fitting is refused; the other keeps what it sent.
    const body = batch(80_000);
    const a = await open();
    const b = await open();
    for (const r of [a, b]) {
      r.socket.write(head(body, 'good', true));
      await r.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    }
    for (const r of [a, b]) r.socket.write(body.subarray(0, 60_000));
    const refusal = /HTTP\/1\.1 503 [\s\S]*\r\n\r\n\{.*\}$/s;
    const first = await Promise.race(
      [a, b].map((r) =>
        r.until(refusal).then(
          () => r,
          () => new Promise<Raw>(() => {}),
        ),
      ),
    );
    const kept = first === a ? b : a;
    assert.match(first.text, /\r\nretry-after: 1\r\n/i);
    assert.match(first.text, /\r\nconnection: close\r\n/i);
    assert.equal(
      JSON.parse(first.text.slice(first.text.indexOf('\r\n\r\n{') + 4)).error.code,
      'TRD_ERR_OVERLOADED',
    );
    await first.end();
    assert.doesNotMatch(kept.text, /HTTP\/1\.1 [2-5]\d\d /, 'the body that fitted is still read');

    // The kept body holds more than 40,000 bytes: one that announces 80,000 more is refused
    // before it sends a byte of its body, and closed (its body never parsed as a request).
    const e = await open();
    e.socket.write(head(body, 'good'));
    const unread = await e.until(/\r\n\r\n\{.*\}$/s);
    assert.match(unread, /^HTTP\/1\.1 503 /);
    assert.match(unread, /\r\nconnection: close\r\n/i);
    await e.end();

    // The kept body completes, is checked and taken; its bytes are free again: the same
    // 80,000 bytes are taken on the same connection.
    kept.socket.write(body.subarray(60_000));
    assert.match(
      await kept.until(/HTTP\/1\.1 202 [\s\S]*\r\n\r\n\{.*\}$/s),
      /^HTTP\/1\.1 (100 Continue\r\n\r\nHTTP\/1\.1 )?202 /,
    );
    kept.text = '';
    kept.socket.write(head(body, 'good'));
    kept.socket.write(body);
    const ok = await kept.until(/\r\n\r\n\{.*\}$/s);
    assert.match(ok, /^HTTP\/1\.1 202 /, ok.slice(0, 300));
    assert.equal(sink.records.length, 2);
  });

  test('a body announced but not sent holds nothing: the others are still taken', async () => {
    // X announces 80,000 bytes with a forged signature and sends none (until its request times
    // out): headers are not bytes held, so Y's 80,000 signed bytes are taken meanwhile.
    const body = batch(80_000);
    const x = await open();
    x.socket.write(head(body, 'forged', true));
    await x.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    const y = await open();
    y.socket.write(head(body, 'good'));
    y.socket.write(body);
    const ok = await y.until(/\r\n\r\n\{.*\}$/s);
    assert.match(ok, /^HTTP\/1\.1 202 /, ok.slice(0, 300));
    x.socket.destroy();
  });

  test('one body larger than the whole bound is still taken when nothing else waits', async () => {
    const r = await open();
    const big = batch(150_000);
    r.socket.write(head(big, 'good'));
    r.socket.write(big);
    const ok = await r.until(/\r\n\r\n\{.*\}$/s);
    assert.match(ok, /^HTTP\/1\.1 202 /, ok.slice(0, 300));
  });
});

describe('keys on: a body over the route limit is answered 413 and drained, as with keys off', () => {
  const bus = new InProcessBus();
  let api: ApiService;
  let port: number;
  before(async () => {
    api = await startApiService({
      bus,
      isKnownSymbol,
      ingest: recordingSink(),
      port: 0,
      bodyLimit: 10_000,
      // a linger that does not run out here: a drain that stalls keeps the client's body unsent
      limits: { lingerMs: 600_000 },
      security: { keys: keyStore() },
    });
    port = Number(new URL(api.url).port);
  });
  after(async () => {
    await api.close();
    await bus.close();
  });

  for (const framing of ['content-length', 'chunked'] as const)
    test(`${framing}: the 413 is read and the rest of the body is read and dropped, all of it sent`, {
      timeout: 30_000,
    }, async () => {
      const r = await Raw.open(port);
      try {
        // 16 MB: more than the socket buffers hold, so it is all sent only if the server reads it
        const big = batch(16_000_000);
        const h = head(big, 'good');
        r.socket.write(
          framing === 'chunked'
            ? `${h.replace(/Content-Length: \d+\r\n/, 'Transfer-Encoding: chunked\r\n')}${big.length.toString(16)}\r\n`
            : h,
        );
        await new Promise<void>((resolve) => r.socket.write(big, () => resolve()));
        if (framing === 'chunked') r.socket.write('\r\n0\r\n\r\n');
        const answer = await r.until(/\r\n\r\n\{.*\}$/s);
        assert.match(answer, /^HTTP\/1\.1 413 /);
        r.socket.end();
        await r.end();
      } finally {
        r.socket.destroy();
      }
    });
});
