/**
 * What docs/spec.md says of bad frames on the api's `/ws/metrics`, over a raw socket (so the
 * frames can be wrong): a message over 64 KiB closes 1009, a frame that breaks the protocol
 * (unmasked, a reserved bit, a continuation without a first fragment) closes 1002, a text
 * message that is not UTF-8 closes 1007, and a fragmented subscribe is reassembled and
 * acknowledged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { isKnownSymbol } from './support/api-fixtures.ts';

/** One client frame: FIN, opcode, masked unless `unmasked`, `rsv` in bits 4-6. */
function frame(
  payload: string | Buffer,
  o: { opcode?: number; fin?: boolean; unmasked?: true; rsv?: number } = {},
) {
  const data = Buffer.from(payload); // a copy: masked in place
  const b0 = (o.fin === false ? 0 : 0x80) | ((o.rsv ?? 0) << 4) | (o.opcode ?? 1);
  const mask = o.unmasked ? 0 : 0x80;
  const n = data.length;
  const head =
    n < 126
      ? Buffer.from([b0, mask | n])
      : n < 65536
        ? Buffer.from([b0, mask | 126, n >> 8, n & 0xff])
        : Buffer.concat([Buffer.from([b0, mask | 127]), bigEndian64(n)]);
  if (o.unmasked) return Buffer.concat([head, data]);
  const key = randomBytes(4);
  for (let i = 0; i < n; i++) data[i] ^= key[i % 4];
  return Buffer.concat([head, key, data]);
}

function bigEndian64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

/** A raw upgraded socket and a reader of the server's (unmasked, small) frames. */
class RawWs {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<RawWs> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    const c = new RawWs(socket);
    socket.write(
      'GET /ws/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const end = await c.until(() => c.buf.indexOf('\r\n\r\n'));
    assert.match(c.buf.subarray(0, end).toString(), /^HTTP\/1\.1 101 /);
    c.buf = c.buf.subarray(end + 4);
    return c;
  }

  /** The next server frame: opcode and payload (a close's payload starts with its code). */
  async next(): Promise<{ opcode: number; payload: Buffer }> {
    const len = await this.until(() => {
      if (this.buf.length < 2) return -1;
      const n = this.buf[1] & 0x7f;
      const off = n === 126 ? 4 : 2;
      if (this.buf.length < off) return -1;
      const size = n === 126 ? this.buf.readUInt16BE(2) : n;
      return this.buf.length >= off + size ? off + size : -1;
    });
    const off = (this.buf[1] & 0x7f) === 126 ? 4 : 2;
    const f = { opcode: this.buf[0] & 0x0f, payload: this.buf.subarray(off, len) };
    this.buf = this.buf.subarray(len);
    return f;
  }

  async closeCode(): Promise<number> {
    for (;;) {
      const f = await this.next();
      if (f.opcode === 8) return f.payload.readUInt16BE(0);
    }
  }

  private async until(ready: () => number): Promise<number> {
    for (;;) {
      const at = ready();
      if (at >= 0) return at;
      if (this.ended) throw new Error('the server closed the socket first');
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}

describe('api /ws/metrics: bad frames', () => {
  const bus = new InProcessBus();
  let api: ApiService;
  let port: number;
  const sockets: RawWs[] = [];
  const open = async () => {
    const c = await RawWs.open(port);
    sockets.push(c);
    return c;
  };
  before(async () => {
    api = await startApiService({ bus, isKnownSymbol, port: 0 });
    port = Number(new URL(api.url).port);
  });
  after(async () => {
    for (const c of sockets) c.socket.destroy();
    await api.close();
    await bus.close();
  });

  test('a message over 64 KiB closes 1009', async () => {
    const c = await open();
    c.socket.write(frame('x'.repeat(64 * 1024 + 1)));
    assert.equal(await c.closeCode(), 1009);
  });

  for (const [name, bytes] of [
    ['an unmasked frame', frame('ping', { unmasked: true })],
    ['a reserved bit set', frame('ping', { rsv: 4 })],
    ['a continuation without a first fragment', frame('ping', { opcode: 0 })],
  ] as const) {
    test(`${name} closes 1002`, async () => {
      const c = await open();
      c.socket.write(bytes);
      assert.equal(await c.closeCode(), 1002);
    });
  }

  test('a text message that is not UTF-8 closes 1007', async () => {
    const c = await open();
    c.socket.write(frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    assert.equal(await c.closeCode(), 1007);
  });

  test('a subscribe in two fragments is served as one message', async () => {
    const c = await open();
    const msg = JSON.stringify({ action: 'subscribe', symbol: 'SYM0' });
    c.socket.write(
      Buffer.concat([frame(msg.slice(0, 10), { fin: false }), frame(msg.slice(10), { opcode: 0 })]),
    );
    const f = await c.next();
    assert.equal(f.opcode, 1);
    assert.deepEqual(JSON.parse(f.payload.toString()), { type: 'subscribed', symbol: 'SYM0' });
  });
});
