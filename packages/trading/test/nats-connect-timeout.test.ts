/**
 * A NATS connection attempt that times out closes its socket. The server here accepts TCP and
 * never speaks NATS (a stopped nats-server, a black hole): the client's connect timeout passes
 * and, before the fix, nats.js left the socket open (its transport only closed sockets of
 * connections that had completed), so an in-process caller kept a live handle per failed
 * attempt and a client reconnecting to such a server leaked one per retry.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BusError } from '../src/bus/bus.ts';
import { NatsBus } from '../src/bus/nats-bus.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';

/**
 * A TCP server that accepts and never answers; counts the sockets still open. While `relayTo`
 * is set it is a plain proxy to that port instead (those connections are not counted).
 */
class SilentServer {
  readonly open = new Set<Socket>();
  accepted = 0;
  relayTo: number | undefined;
  readonly relayed = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  readonly server: Server = createServer((s) => {
    if (this.relayTo !== undefined) {
      const up = createConnection(this.relayTo, '127.0.0.1');
      this.relayed.add(s);
      s.pipe(up).pipe(s);
      s.on('error', () => up.destroy());
      s.on('close', () => up.destroy());
      up.on('error', () => s.destroy());
      return;
    }
    this.accepted++;
    this.open.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      this.open.delete(s);
      this.changed();
    });
    this.changed();
  });

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    assert.ok(a !== null && typeof a === 'object');
    return `nats://127.0.0.1:${a.port}`;
  }

  private changed(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves once `cond()` holds (checked at every accept and close); rejects after `ms` with `what`. */
  when(cond: () => boolean, ms: number, what: () => string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!cond()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(what()));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    for (const s of [...this.open, ...this.relayed]) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('a connect attempt that times out', { timeout: 60_000 }, () => {
  let silent: SilentServer;
  let url: string;
  before(async () => {
    silent = new SilentServer();
    url = await silent.listen();
  });
  after(() => silent.close());

  it('rejects naming --bus and leaves no socket open, attempt after attempt', async () => {
    for (let i = 1; i <= 3; i++) {
      await assert.rejects(
        NatsBus.connect({ url, connectTimeoutMs: 300 }),
        (e: unknown) =>
          e instanceof BusError &&
          /cannot connect to the bus \(--bus, TICKSTORM_BUS\).*TIMEOUT/.test(e.message),
      );
      assert.equal(silent.accepted, i, 'one TCP connection per attempt');
      // the client's close reaches the server as a FIN: no sleep, the server's close event
      await silent.when(
        () => silent.open.size === 0,
        5000,
        () => `${silent.open.size} socket(s) of ${i} timed-out attempt(s) still open`,
      );
    }
    // and this process holds no TCP socket any more (the silent server's own are closed above;
    // a closed handle leaves the list within a few loop turns, checked at each one, bounded)
    const tcp = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const t0 = performance.now();
    while (tcp() > 0 && performance.now() - t0 < 2000) await new Promise((r) => setImmediate(r));
    assert.equal(tcp(), 0, 'live TCP handles in this process');
  });
});

describe('a bus whose server goes silent: the reconnect attempts', { timeout: 60_000 }, () => {
  let nats: NatsServer;
  let silent: SilentServer;
  before(async () => {
    nats = await startNatsServer();
    silent = new SilentServer();
  });
  after(async () => {
    await silent.close();
    await nats.stop();
  });

  it('close each timed-out attempt: one socket open at most, however many retries', async () => {
    // a proxy to the real server first; then it goes silent and cuts the connection
    silent.relayTo = nats.port;
    const url = await silent.listen();
    const bus = await NatsBus.connect({ url, connectTimeoutMs: 300 });
    try {
      assert.equal(bus.state(), 'connected');
      silent.relayTo = undefined;
      for (const s of silent.relayed) s.destroy();
      await silent.when(
        () => silent.accepted >= 4 && silent.open.size <= 1,
        8000,
        () => `${silent.open.size} of ${silent.accepted} timed-out reconnect attempts still open`,
      );
    } finally {
      await bus.close();
    }
    await silent.when(
      () => silent.open.size === 0,
      5000,
      () => `${silent.open.size} socket(s) open after close()`,
    );
  });
});
