/**
 * The single-owner roles' leases on the bus (cluster/role-lease.ts; docs/deployment.md, "Two of
 * one role"). Before, the start-time check only asked the bus whether a live owner answered: two
 * engines (or risk managers) started at the same instant both found nobody and both ran, and an
 * engine started while the owner was stalled for more than the 1 s probe timeout ran beside it,
 * the owner matching again when it woke (a split brain: two books, the same order ids).
 *
 * - at the same instant: exactly one starts, the other is refused TRD_ERR_SERVICE_IN_USE;
 * - a holder that renews (alive, stalled for a moment) refuses a newcomer that waited for it;
 *   one that does not (killed) is taken over once its lease expired;
 * - a real `serve execution-engine` stopped with SIGSTOP: the newcomer waits for its lease to
 *   expire, then takes it; the owner, continued, matches nothing it read meanwhile (503) and
 *   exits 1 naming the instance that took over; a `serve risk-manager` the same way;
 * - nats-server away for longer than the lease: lapsed meanwhile (/health 503; orders, cancels
 *   and halts refused), then the holder takes its keys again and goes on;
 * - an owner killed with -9 on this machine: its successor here takes the lease at once;
 * - a nats-server without JetStream: a warning naming -js, and the start-time question to the bus.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from 'nats';
import { type NatsBus, openBus } from '../src/bus/nats-bus.ts';
import {
  engineKey,
  LEASE_RENEW_MS,
  LEASE_TTL_MS,
  RISK_MANAGER_KEY,
  RoleLease,
} from '../src/cluster/role-lease.ts';
import type { ServiceName } from '../src/config/service-config.ts';
import { type TradingError, TradingErrorCode } from '../src/errors.ts';
import { TradingSystem } from '../src/system/trading-system.ts';
import { type Served, startServe } from './support/child-process.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { Http, order, pollUntil, ZERO_PORTS } from './support/trading-fixture.ts';

describe('role leases on the bus', { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'tickstorm-role-lease-'));
  const http = new Http();
  let nats: NatsServer;
  const running: TradingSystem[] = [];
  const children: Served[] = [];
  let n = 0;

  const start = async (
    services: ServiceName[],
    o: { symbols?: string[]; bus?: string; report?: (line: string) => void } = {},
  ): Promise<TradingSystem> => {
    const sys = await TradingSystem.start({
      config: { host: '127.0.0.1', dataDir: join(root, `d${n++}`), ports: { ...ZERO_PORTS } },
      services,
      bus: o.bus ?? nats.url,
      symbols: o.symbols,
      durability: 'write',
      snapshotIntervalMs: 0,
      report: o.report ?? (() => {}),
    });
    running.push(sys);
    return sys;
  };
  const closeAll = async () => {
    for (const s of running.splice(0)) await s.close();
  };
  const inUse = (e: unknown) => (e as { code?: string }).code === TradingErrorCode.SERVICE_IN_USE;

  before(async () => {
    nats = await startNatsServer();
  });
  afterEach(closeAll);
  after(async () => {
    for (const c of children) {
      try {
        process.kill(c.child.pid!, 'SIGCONT');
      } catch {
        // gone
      }
      c.child.kill('SIGKILL');
      await c.done.catch(() => {});
    }
    await closeAll();
    await http.close();
    await nats.stop();
    rmSync(root, { recursive: true, force: true });
  });

  for (const [what, services, symbols] of [
    ['two engines without --symbols', ['execution-engine'], undefined],
    ['two engines of one partition', ['execution-engine'], ['AAPL', 'MSFT']],
    ['two risk managers', ['risk-manager'], undefined],
  ] as const) {
    it(`${what} started at the same instant: one runs, the other is refused`, async () => {
      for (let round = 0; round < 3; round++) {
        const o = { symbols: symbols === undefined ? undefined : [...symbols] };
        const both = await Promise.allSettled([start([...services], o), start([...services], o)]);
        const ok = both.filter((r) => r.status === 'fulfilled');
        const refused = both.filter((r) => r.status === 'rejected');
        assert.equal(ok.length, 1, `round ${round}: ${ok.length} of 2 started`);
        assert.ok(inUse(refused[0].reason), String(refused[0].reason));
        await closeAll();
      }
    });
  }

  it('a holder that renews refuses the newcomer; one that does not is taken over when its lease expires', async () => {
    // a holder that renews and does not answer its subjects (stalled between renewals, or
    // starting at the same instant): the newcomer's question goes unanswered, it watches the lease
    const bus = (await openBus(nats.url)) as NatsBus;
    const kv = await bus.keyValue('roles', LEASE_TTL_MS);
    const holder = await RoleLease.claim({
      kv,
      role: 'execution-engine',
      keys: [engineKey('SYM7')],
      instanceId: 'renewing-1',
      probe: async () => {},
      refusal: () => new Error('unexpected') as TradingError,
      onLost: () => {},
      report: () => {},
    });
    const lines: string[] = [];
    const t0 = performance.now();
    try {
      await assert.rejects(
        start(['execution-engine'], { symbols: ['SYM7'], report: (l) => lines.push(l) }),
        (e: Error) =>
          inUse(e) &&
          /SYM7 is leased to the engine pid \d+ on .* \(instance renewing-1\), which renewed it while this one waited/.test(
            e.message,
          ),
      );
      assert.ok(performance.now() - t0 < LEASE_TTL_MS, 'refused before the lease could expire');
      assert.ok(
        lines.some((l) => /engine\.SYM7 is leased to .*which does not answer: waiting/.test(l)),
        lines.join('\n'),
      );
      assert.equal(holder.problem(), null, 'the holder keeps its lease');
    } finally {
      await holder.close();
      await bus.close();
    }
    // a holder killed with -9 leaves its key: written here as it would be, and never renewed
    const other = (await openBus(nats.url)) as NatsBus;
    const dead = {
      instanceId: 'dead-1',
      pid: 999_999,
      host: 'gone',
      role: 'risk-manager',
      since: Date.now(),
    };
    await (await other.keyValue('roles', LEASE_TTL_MS)).create(
      RISK_MANAGER_KEY,
      new TextEncoder().encode(JSON.stringify(dead)),
    );
    const t1 = performance.now();
    const seen: string[] = [];
    await start(['risk-manager'], { report: (l) => seen.push(l) });
    const waited = performance.now() - t1;
    assert.ok(
      waited >= LEASE_TTL_MS - 500,
      `took over after ${Math.round(waited)} ms, before the lease expired`,
    );
    assert.ok(
      seen.some((l) => /took over the lease of pid 999999 on gone \(instance dead-1\)/.test(l)),
      seen.join('\n'),
    );
    await closeAll();
    await other.close();
    // a graceful stop releases its keys: the successor starts at once
    await (await start(['risk-manager'])).close();
    const t2 = performance.now();
    await start(['risk-manager']);
    assert.ok(performance.now() - t2 < LEASE_TTL_MS, 'a released lease is taken at once');
    await closeAll();
    assert.equal(engineKey('A.B:C'), 'engine.A=2eB=3aC');
  });

  it('an owner stopped with SIGSTOP is taken over once its lease expired; continued, it matches nothing and exits 1', async () => {
    const risk = await start(['risk-manager']);
    assert.ok(risk.riskNode !== null);
    const a = await startServe([
      'execution-engine',
      '--bus',
      nats.url,
      '--data-dir',
      join(root, 'stalled'),
      '--execution-engine-port',
      '0',
      '--durability',
      'write',
    ]);
    children.push(a);
    const aUrl = a.urls['execution-engine'];
    const placed = await http.post(`${aUrl}/orders`, order('SYM3', 'buy', 'limit', 1, 99));
    assert.equal(placed.status, 201, JSON.stringify(placed.body));

    process.kill(a.child.pid!, 'SIGSTOP');
    const stoppedAt = performance.now();
    // read by the stopped owner's socket, answered once it runs again
    const pending = http
      .post(`${aUrl}/orders`, order('SYM3', 'buy', 'limit', 1, 98, { clientOrderId: 'while-stopped' }))
      .catch((err: Error) => ({ status: 0, body: err.message }));
    const lines: string[] = [];
    const b = await start(['execution-engine'], { report: (l) => lines.push(l) });
    const waited = performance.now() - stoppedAt;
    // its last renewal was at most LEASE_RENEW_MS before the stop
    assert.ok(
      waited >= LEASE_TTL_MS - 1000 - 100,
      `the newcomer started ${Math.round(waited)} ms after the stop`,
    );
    assert.ok(
      lines.some((l) => new RegExp(`took over the lease of pid ${a.child.pid} `).test(l)),
      lines.join('\n'),
    );

    process.kill(a.child.pid!, 'SIGCONT');
    const late = await pending;
    // refused by its lapsed lease (or, should its stop come first, by the stop): never placed
    assert.notEqual(late.status, 201, `the woken owner matched an order: ${JSON.stringify(late.body)}`);
    if (late.status === 503) {
      assert.match(late.body.error.code, /TRD_ERR_ROLE_LEASE_UNAVAILABLE|TRD_ERR_SHUTTING_DOWN/);
    }
    const end = await a.done;
    assert.equal(end.code, 1, `${end.stdout}\n${end.stderr}`);
    assert.match(
      end.stderr,
      /TRD_ERR_SERVICE_IN_USE: execution-engine: its lease \(engine\.\S+\) was taken over by pid \d+/,
    );
    assert.match(end.stderr, new RegExp(`instance ${b.bus.instanceId}`));

    const fresh = await http.post(
      `${b.url('execution-engine')}/orders`,
      order('SYM3', 'sell', 'limit', 1, 101),
    );
    assert.equal(fresh.status, 201, JSON.stringify(fresh.body));
    await closeAll();
  });

  it('a risk manager stopped with SIGSTOP: taken over once its lease expired; continued, it exits 1', async () => {
    const a = await startServe([
      'risk-manager',
      '--bus',
      nats.url,
      '--data-dir',
      join(root, 'stalled-risk'),
      '--risk-manager-port',
      '0',
    ]);
    children.push(a);
    process.kill(a.child.pid!, 'SIGSTOP');
    const lines: string[] = [];
    const b = await start(['risk-manager'], { report: (l) => lines.push(l) });
    assert.ok(
      lines.some((l) => new RegExp(`risk-manager: took over the lease of pid ${a.child.pid} `).test(l)),
      lines.join('\n'),
    );
    process.kill(a.child.pid!, 'SIGCONT');
    const end = await a.done;
    assert.equal(end.code, 1, `${end.stdout}\n${end.stderr}`);
    assert.match(
      end.stderr,
      new RegExp(
        `TRD_ERR_SERVICE_IN_USE: risk-manager: its lease \\(risk-manager\\) was taken over by .*instance ${b.bus.instanceId}`,
      ),
    );
  });

  it('nats-server away for longer than the lease: lapsed meanwhile (/health 503, no cancel, no halt), then the holders take their leases again and go on', async () => {
    const own = await startNatsServer();
    try {
      const sys = await start(['execution-engine', 'risk-manager'], { bus: own.url });
      const url = sys.url('execution-engine');
      const risk = sys.url('risk-manager');
      const first = await http.post(`${url}/orders`, order('SYM5', 'buy', 'limit', 1, 99));
      assert.equal(first.status, 201);
      for (const u of [url, risk])
        assert.deepEqual((await http.get(`${u}/health`)).body.lease, { state: 'held' });
      await own.kill();
      // the outage itself: longer than the lease, so every key expires while nobody can renew it
      await new Promise((r) => setTimeout(r, LEASE_TTL_MS + 1000));
      // lapsed: each service says so on /health, and the engine changes no book: a cancel and a
      // kill switch are refused as orders are (before, only orders had a test of their own)
      for (const u of [url, risk]) {
        const h = await http.get(`${u}/health`);
        assert.equal(h.status, 503);
        assert.equal(h.body.status, 'degraded');
        assert.equal(h.body.lease.state, 'lapsed', JSON.stringify(h.body));
        assert.match(h.body.lease.problem, /its lease was last renewed \d+ ms ago/);
      }
      for (const refused of [
        await http.delete(`${url}/orders/${first.body.id}`),
        await http.post(`${url}/admin/accounts/${first.body.account}/halt`, {}),
      ]) {
        assert.equal(refused.status, 503, JSON.stringify(refused.body));
        assert.equal(refused.body.error.code, TradingErrorCode.ROLE_LEASE_UNAVAILABLE);
        assert.equal(refused.headers.get('retry-after'), '1');
      }
      await own.restart();
      const placed = await pollUntil(
        'an order placed after the restart',
        async () => {
          const r = await http.post(`${url}/orders`, order('SYM5', 'buy', 'limit', 1, 98));
          if (r.status === 201) return r;
          assert.equal(r.status, 503, JSON.stringify(r.body));
          await new Promise((res) => setTimeout(res, 50));
          return undefined;
        },
        200,
      );
      assert.equal(placed.status, 201);
      assert.equal(sys.bus.state(), 'connected');
      assert.deepEqual((await http.get(`${url}/health`)).body.lease, { state: 'held' });
      // what was refused was not done: the first order is still open, its account not halted
      assert.equal((await http.delete(`${url}/orders/${first.body.id}`)).status, 200);
    } finally {
      await closeAll();
      await own.stop();
    }
  });

  it('nats-server restarted with its store lost (all four services in one process): the bucket is made anew, the leases taken there, orders placed again', async () => {
    // a new pod with an emptyDir, a new disk: the server comes back without the bucket. Before,
    // each renewal's write found no stream, was counted "the bus away", and the process refused
    // every order 503 TRD_ERR_ROLE_LEASE_UNAVAILABLE for ever once its lease had lapsed.
    const own = await startNatsServer();
    let watcher: NatsConnection | undefined;
    try {
      const sys = await start(['market-data', 'execution-engine', 'risk-manager', 'api'], { bus: own.url });
      const url = sys.url('execution-engine');
      assert.equal((await http.post(`${url}/orders`, order('SYM5', 'buy', 'limit', 1, 99))).status, 201);
      await own.kill();
      await own.restart({ freshStore: true });
      // watched without creating the bucket (bindOnly): the holder must make it itself
      watcher = await connect({ servers: own.url });
      const js = watcher.jetstream();
      const kv = await pollUntil(
        'the bucket made anew by its holder',
        async () => {
          const bound = await js.views.kv('tickstorm-ts-roles', { bindOnly: true }).catch(() => undefined);
          if (bound === undefined) await new Promise((r) => setTimeout(r, 50));
          return bound;
        },
        200,
      );
      for (const key of [RISK_MANAGER_KEY, engineKey('SYM5')]) {
        await pollUntil(
          `${key} leased again in the new bucket`,
          async () => {
            const e = await kv.get(key).catch(() => null);
            if (
              e?.operation === 'PUT' &&
              e.json<{ instanceId: string }>().instanceId === sys.bus.instanceId
            ) {
              return e;
            }
            await new Promise((r) => setTimeout(r, 50));
            return undefined;
          },
          200,
        );
      }
      // renewed there from now on: still placing orders well past the lease's lifetime
      const until = performance.now() + LEASE_TTL_MS + LEASE_RENEW_MS;
      let price = 98;
      while (performance.now() < until) {
        const r = await http.post(`${url}/orders`, order('SYM5', 'buy', 'limit', 1, price--));
        assert.equal(r.status, 201, JSON.stringify(r.body));
        await new Promise((res) => setTimeout(res, 500));
      }
    } finally {
      await watcher?.close();
      await closeAll();
      await own.stop();
    }
  });

  it('nats-server restarted without JetStream: orders go on unleased, said once; with JetStream again the lease is held again', async () => {
    // Before, each renewal failed (no stream, and the bucket could not be made again) and the
    // process refused every order 503 TRD_ERR_ROLE_LEASE_UNAVAILABLE for ever once its lease lapsed.
    const own = await startNatsServer();
    try {
      const warned: string[] = [];
      const lines: string[] = [];
      const sys = await TradingSystem.start({
        config: { host: '127.0.0.1', dataDir: join(root, `d${n++}`), ports: { ...ZERO_PORTS } },
        services: ['execution-engine', 'risk-manager'],
        bus: own.url,
        durability: 'write',
        snapshotIntervalMs: 0,
        report: (l) => lines.push(l),
        onWarning: (l) => warned.push(l),
      });
      running.push(sys);
      const url = sys.url('execution-engine');
      assert.equal((await http.post(`${url}/orders`, order('SYM6', 'buy', 'limit', 1, 90))).status, 201);
      await own.restart({ jetstream: false });
      await pollUntil(
        'the warning that the server came back without JetStream',
        async () => {
          if (warned.some((l) => /came back without JetStream, so this role holds no lease/.test(l)))
            return true;
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        },
        200,
      );
      // well past the lease's lifetime: still placing orders, never fenced
      const until = performance.now() + LEASE_TTL_MS + LEASE_RENEW_MS;
      let price = 89;
      while (performance.now() < until) {
        const r = await http.post(`${url}/orders`, order('SYM6', 'buy', 'limit', 1, price--));
        assert.equal(r.status, 201, JSON.stringify(r.body));
        await new Promise((res) => setTimeout(res, 250));
      }
      assert.equal(warned.filter((l) => /without JetStream/.test(l)).length, 1, 'said once');
      const unleased = await http.get(`${url}/health`);
      assert.equal(unleased.status, 200, 'the role goes on: not degraded');
      assert.equal(unleased.body.lease.state, 'unleased', JSON.stringify(unleased.body));
      await own.restart();
      await pollUntil(
        'the lease held again',
        async () => {
          if (lines.some((l) => /runs with JetStream again: its lease is held again/.test(l))) return true;
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        },
        200,
      );
      assert.equal((await http.post(`${url}/orders`, order('SYM6', 'buy', 'limit', 1, 50))).status, 201);
    } finally {
      await closeAll();
      await own.stop();
    }
  });

  it('a graceful close while a renewal is in flight deletes the keys (a successor elsewhere starts at once)', async () => {
    // Before, close() deleted each key conditional on the revision it knew, while the renewal's
    // write, sent first, gave the key a new one: the delete was refused and the key left to
    // expire, so a successor on another machine waited up to 3 s.
    const bus = (await openBus(nats.url)) as NatsBus;
    try {
      const kv = await bus.keyValue('roles', LEASE_TTL_MS);
      const keys = [engineKey('SYM8'), engineKey('SYM9')];
      for (let round = 0; round < 3; round++) {
        const lease = await RoleLease.claim({
          kv,
          role: 'execution-engine',
          keys,
          instanceId: `closing-${round}`,
          probe: async () => {},
          refusal: () => new Error('unexpected') as TradingError,
          onLost: () => {},
          report: () => {},
        });
        void lease.renew();
        await lease.close();
        for (const k of keys) {
          const e = await kv.get(k);
          assert.ok(e === null || e.operation !== 'PUT', `round ${round}: ${k} still held after close`);
        }
      }
    } finally {
      await bus.close();
    }
  });

  it('the bus back: the renewal is made at once, not held back by one sent while it was away', async () => {
    // Before, a renewal was sent every second while the bus was away, each waiting for its
    // answer until the JetStream timeout (2 s); the one still waiting at the reconnect made the
    // reconnect's renewal a no-op, so orders were refused 503 for up to 2 s after the bus was
    // back (measured 1.2 to 1.9 s after the reconnect).
    const bus = (await openBus(nats.url)) as NatsBus;
    try {
      const real = await bus.keyValue('roles', LEASE_TTL_MS);
      let connected = true;
      let back: () => void = () => {};
      let updates = 0;
      let hold: { release: () => void } | null = null;
      const kv = {
        get: (k: string) => real.get(k),
        create: (k: string, v: Uint8Array) => real.create(k, v),
        delete: (k: string, o?: { previousSeq?: number }) => real.delete(k, o),
        update: async (k: string, v: Uint8Array, rev: number) => {
          updates++;
          if (hold !== null) await new Promise<void>((r) => (hold = { release: r }));
          return real.update(k, v, rev);
        },
      } as unknown as typeof real;
      const lease = await RoleLease.claim({
        kv,
        role: 'execution-engine',
        keys: [engineKey('SYM6')],
        instanceId: 'reconnecting-1',
        probe: async () => {},
        refusal: () => new Error('unexpected') as TradingError,
        onLost: () => {},
        report: () => {},
        connected: () => connected,
        onReconnect: (f) => {
          back = f;
          return () => {};
        },
      });
      try {
        // away: nothing is sent (its answer could only be a timeout after the reconnect)
        connected = false;
        const before = updates;
        await lease.renew();
        assert.equal(updates, before, 'a renewal was sent while the bus was away');
        // a renewal sent as the bus went away, its answer still awaited when the bus is back
        connected = true;
        hold = { release: () => {} };
        const stale = lease.renew();
        const sent = updates;
        back();
        const h = hold as { release: () => void };
        hold = null;
        h.release();
        await stale;
        assert.equal(updates, sent + 1, 'no renewal followed the one under way at the reconnect');
      } finally {
        await lease.close();
      }
    } finally {
      await bus.close();
    }
  });

  it('a nats-server without JetStream: the engine starts with a warning naming -js, and a second is refused while the first answers', async () => {
    const plain = await startNatsServer({ jetstream: false });
    try {
      const warned: string[] = [];
      const sys = await TradingSystem.start({
        config: { host: '127.0.0.1', dataDir: join(root, `d${n++}`), ports: { ...ZERO_PORTS } },
        services: ['execution-engine'],
        bus: plain.url,
        durability: 'write',
        snapshotIntervalMs: 0,
        report: () => {},
        onWarning: (l) => warned.push(l),
      });
      running.push(sys);
      assert.equal(warned.length, 1, warned.join('\n'));
      assert.match(
        warned[0],
        /runs without JetStream, so this role holds no lease.*-js and a store directory \(-sd DIR\)/,
      );
      // the start-time question to the bus still refuses a second engine once the first answers
      await assert.rejects(start(['execution-engine'], { bus: plain.url }), inUse);
      // market data and the api need no lease
      await start(['market-data'], { bus: plain.url });
    } finally {
      await closeAll();
      await plain.stop();
    }
  });

  it('an owner killed with -9 on this machine: its successor here takes the lease at once, not when it expires', async () => {
    const a = await startServe([
      'execution-engine',
      '--bus',
      nats.url,
      '--data-dir',
      join(root, 'killed'),
      '--execution-engine-port',
      '0',
      '--durability',
      'write',
    ]);
    children.push(a);
    process.kill(a.child.pid!, 'SIGKILL');
    await a.done.catch(() => {});
    const lines: string[] = [];
    const t0 = performance.now();
    await start(['execution-engine'], { report: (l) => lines.push(l) });
    const waited = performance.now() - t0;
    assert.ok(
      lines.some((l) =>
        new RegExp(
          `took over the lease of pid ${a.child.pid} .* at once: that process no longer runs on this machine`,
        ).test(l),
      ),
      lines.join('\n'),
    );
    // one line for the holder's whole set of keys (an engine of every symbol), not one per key
    const taken = lines.filter((l) => /took over the lease of/.test(l));
    assert.equal(taken.length, 1, taken.join('\n'));
    assert.match(taken[0], /\(\d+ keys\) at once/);
    // its last renewal was at most LEASE_RENEW_MS before the kill: waiting for the expiry is 2-3 s
    assert.ok(
      waited < LEASE_TTL_MS - LEASE_RENEW_MS,
      `the successor started ${Math.round(waited)} ms after the kill`,
    );
  });
});
