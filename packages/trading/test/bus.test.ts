/**
 * The bus contract (src/bus/bus.ts), kept by both buses: the in-process one and NatsBus on a
 * real nats-server (Debian's package, started here on a free port).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Bus, type BusError, InProcessBus } from '../src/bus/bus.ts';
import { busUrlProblem, NatsBus, openBus } from '../src/bus/nats-bus.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';

/** Resolves once `cond()` holds; fails after `ms` (a bound, not a sleep). */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function contract(name: string, pair: () => Promise<{ a: Bus; b: Bus; close: () => Promise<void> }>) {
  describe(`${name}: the bus contract`, () => {
    it('delivers publishes in order to every subscriber, across a throwing handler', async () => {
      const { a, b, close } = await pair();
      try {
        const one: number[] = [];
        const two: number[] = [];
        b.subscribe<number>('t', () => {
          throw new Error('a broken handler');
        });
        b.subscribe<number>('t', (n) => one.push(n));
        a.subscribe<number>('t', (n) => two.push(n));
        // the subscriptions are known to the server before anything is published
        await b.sync?.();
        await a.sync?.();
        for (let i = 0; i < 20_000; i++) a.publish('t', i);
        await until(() => one.length === 20_000 && two.length === 20_000);
        assert.deepEqual(
          one,
          Array.from({ length: 20_000 }, (_, i) => i),
        );
        assert.deepEqual(two, one);
      } finally {
        await close();
      }
    });

    it('request/serve: one server of a queue answers; a throw is BUS_HANDLER_FAILED; nobody is BUS_NO_RESPONDERS at once', async () => {
      const { a, b, close } = await pair();
      try {
        const seen: string[] = [];
        b.serve<{ x: number }, { y: number }>(
          'calc',
          (q) => {
            seen.push('b1');
            return { y: q.x * 2 };
          },
          'g',
        );
        b.serve<{ x: number }, { y: number }>(
          'calc',
          async (q) => {
            seen.push('b2');
            return { y: q.x * 2 };
          },
          'g',
        );
        b.serve('fails', () => {
          throw new Error('no such order');
        });
        await b.sync?.();
        for (let i = 0; i < 10; i++) assert.deepEqual(await a.request('calc', { x: i }, 2000), { y: i * 2 });
        assert.equal(seen.length, 10, 'each request answered once');
        await assert.rejects(a.request('fails', {}, 2000), (e: BusError) => {
          assert.equal(e.code, 'BUS_HANDLER_FAILED');
          assert.match(e.message, /no such order/);
          return true;
        });
        const t0 = performance.now();
        await assert.rejects(
          a.request('nobody.home', {}, 10_000),
          (e: BusError) => e.code === 'BUS_NO_RESPONDERS',
        );
        assert.ok(performance.now() - t0 < 5000, 'no responders is known without waiting for the timeout');
      } finally {
        await close();
      }
    });
  });
}

contract('InProcessBus', async () => {
  const bus = new InProcessBus(() => {});
  return { a: bus, b: bus, close: () => bus.close() };
});

describe('NatsBus on nats-server', () => {
  let server: NatsServer;
  before(async () => {
    server = await startNatsServer();
  });
  after(async () => {
    await server.stop();
  });

  contract('NatsBus', async () => {
    const a = await NatsBus.connect({ url: server.url, onError: () => {} });
    const b = await NatsBus.connect({ url: server.url, onError: () => {} });
    return {
      a,
      b,
      close: async () => {
        await a.close();
        await b.close();
      },
    };
  });

  it('a request that nobody answers in time is BUS_TIMEOUT, never a hang', async () => {
    const a = await NatsBus.connect({ url: server.url });
    const b = await NatsBus.connect({ url: server.url });
    try {
      b.serve('slow', () => new Promise(() => {}));
      await b.sync();
      const t0 = performance.now();
      await assert.rejects(a.request('slow', {}, 200), (e: BusError) => e.code === 'BUS_TIMEOUT');
      assert.ok(performance.now() - t0 < 3000);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reports a lost server as reconnecting, then connected again after a restart on the same port', async () => {
    const own = await startNatsServer();
    const a = await NatsBus.connect({ url: own.url });
    try {
      const states: string[] = [];
      a.onState((s) => states.push(s));
      await own.kill();
      await until(() => a.state() === 'reconnecting');
      await assert.rejects(a.request('x', {}, 500), (e: BusError) => e.code === 'BUS_CLOSED');
      await own.restart();
      await until(() => a.state() === 'connected', 10_000);
      assert.deepEqual(states, ['reconnecting', 'connected']);
    } finally {
      await a.close();
      await own.stop();
    }
  });

  it('close() while the server is gone ends at once (no drain waiting for a server)', async () => {
    const own = await startNatsServer();
    const a = await NatsBus.connect({ url: own.url });
    try {
      await own.kill();
      await until(() => a.state() === 'reconnecting');
      const t0 = performance.now();
      await a.close();
      assert.ok(performance.now() - t0 < 1000, `close took ${Math.round(performance.now() - t0)} ms`);
      assert.equal(a.state(), 'closed');
    } finally {
      await a.close();
      await own.stop();
    }
  });

  it('openBus: no URL is in-process; a bad URL is a config error naming --bus; a dead server is a clear error', async () => {
    const local = await openBus(undefined);
    assert.equal(local.kind, 'in-process');
    await local.close();
    assert.equal(busUrlProblem('nats://127.0.0.1:4222'), null);
    assert.match(String(busUrlProblem('http://x:1')), /--bus \(TICKSTORM_BUS\) must be nats:\/\/HOST:PORT/);
    for (const ok of [
      'nats://nats',
      'nats://user:secret@10.0.0.5:4222',
      'nats://[::1]:4222',
      'nats://a:4222,nats://b:4223',
      'nats://a:4222, nats://b:4223',
    ]) {
      assert.equal(busUrlProblem(ok), null, ok);
    }
    // A port left empty, not a number or out of range: a configuration error, not a server that refuses.
    for (const bad of [
      'nats://127.0.0.1:',
      'nats://host:abc',
      'nats://host:0',
      'nats://host:65536',
      'nats://a:1,nats://b:',
    ]) {
      assert.match(String(busUrlProblem(bad)), /must be nats:\/\/HOST:PORT/, bad);
    }
    await assert.rejects(
      openBus('nats://127.0.0.1:'),
      (e: { code: string }) => e.code === 'TRD_ERR_INVALID_CONFIG',
    );
    await assert.rejects(openBus('redis://x'), (e: { code: string }) => e.code === 'TRD_ERR_INVALID_CONFIG');
    await assert.rejects(openBus('nats://127.0.0.1:1', { connectTimeoutMs: 1000 }), (e: Error) =>
      /cannot connect to the bus \(--bus, TICKSTORM_BUS\) at nats:\/\/127\.0\.0\.1:1/.test(e.message),
    );
  });
});
