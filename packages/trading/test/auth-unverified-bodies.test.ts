/**
 * Keys on, a body is read whole before its signature can be checked: the bytes of bodies
 * waiting for that check are bounded per service (auth/unverified-bodies.ts). Past the bound a
 * request is answered 503 TRD_ERR_OVERLOADED with Retry-After and closed before its body is
 * read, and the bytes come back once the waiting body's signature has been checked.
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

  test('past the bound: 503 + Retry-After before the body is read; the bytes come back after the check', async () => {
    // A holds 80,000 of the 100,000 bytes: its headers are in (the 100 Continue is written as
    // the request is handed to the routes), half of its forged body is sent.
    const held = batch(80_000);
    const a = await open();
    a.socket.write(head(held, 'forged', true));
    await a.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    a.socket.write(held.subarray(0, 40_000));

    // B would take 80,000 more: refused before it sends a byte of its body.
    const b = await open();
    b.socket.write(head(batch(80_000), 'good'));
    const refused = await b.until(/\r\n\r\n\{.*\}$/s);
    assert.match(refused, /^HTTP\/1\.1 503 /);
    assert.match(refused, /\r\nretry-after: 1\r\n/i);
    assert.match(refused, /\r\nconnection: close\r\n/i);
    assert.equal(JSON.parse(refused.slice(refused.indexOf('\r\n\r\n') + 4)).error.code, 'TRD_ERR_OVERLOADED');
    await b.end(); // closed by the server: its unread body is never parsed as a request

    // A's forged body completes: 401, and its bytes are free again.
    a.socket.write(held.subarray(40_000));
    const forged = await a.until(/HTTP\/1\.1 401 [\s\S]*\r\n\r\n\{.*\}$/s);
    assert.match(forged, /TRD_ERR_BAD_SIGNATURE/);

    // C, the same 80,000 bytes signed, is taken on the same connection.
    a.text = '';
    const c = batch(80_000);
    a.socket.write(head(c, 'good'));
    a.socket.write(c);
    const ok = await a.until(/\r\n\r\n\{.*\}$/s);
    assert.match(ok, /^HTTP\/1\.1 202 /, ok.slice(0, 300));
    assert.equal(sink.records.length, 1);
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
