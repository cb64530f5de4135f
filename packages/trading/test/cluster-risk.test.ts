/**
 * Per-account risk limits hold across partitions (docs/deployment.md, "Risk across
 * processes"): a risk-manager system and two execution-engine systems (two partitions) on one real
 * nats-server (test/support/nats-server.ts), each with its own data dir and ports 0. Many
 * concurrent orders of one account over both engines never take its gross exposure beyond
 * the limit; the risk process down is 503 TRD_ERR_RISK_UNAVAILABLE + Retry-After at once, and
 * the engines' own /health turns degraded (503, `services["risk-manager"]` down, as the api's);
 * restarted on the same data dir it has the PUT limits and rebuilds positions from the engines.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { NatsBus } from '../src/bus/nats-bus.ts';
import { type MarketUpdate, Topic } from '../src/bus/topics.ts';
import { RISK_CHECK_TIMEOUT_MS } from '../src/cluster/remote-risk-client.ts';
import type { ServiceName } from '../src/config/service-config.ts';
import { TradingSystem } from '../src/system/trading-system.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { codedError, Http, type Json, type Reply, ZERO_PORTS } from './support/trading-fixture.ts';

const instruments = new InstrumentTable();
const A = instruments.list[0].symbol;
const B = instruments.list[1].symbol;
const ACCOUNT = 'fund-7';
/** The reference price of both symbols, and every order's price: exposure = price x quantity. */
const PRICE = 100;
const LIMIT = 5_000;
const PER_ENGINE = 60;

/** Resolves once `cond()` holds; fails after `ms` (a bound, not a sleep). */
async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const t0 = performance.now();
  while (!(await cond())) {
    if (performance.now() - t0 > ms) throw new Error(`${what}: not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The two engines' partitions (one owner per symbol, docs/deployment.md): e1 owns A and every
 * other even-numbered instrument, e2 owns B and the odd-numbered ones.
 */
const P1 = instruments.list.filter((_, i) => i % 2 === 0).map((i) => i.symbol);
const P2 = instruments.list.filter((_, i) => i % 2 === 1).map((i) => i.symbol);

function start(
  services: ServiceName[],
  dataDir: string,
  bus: string,
  symbols?: string[],
): Promise<TradingSystem> {
  return TradingSystem.start({
    config: { host: '127.0.0.1', dataDir, ports: { ...ZERO_PORTS } },
    services,
    bus,
    symbols,
    durability: 'write',
    snapshotIntervalMs: 0,
    report: () => {},
  });
}

/** The resting orders of ACCOUNT on one engine (its partition's: the listing covers every partition). */
async function resting(http: Http, engine: TradingSystem): Promise<Json[]> {
  const r = await http.get(`${engine.url('execution-engine')}/orders?account=${ACCOUNT}&limit=1000`);
  assert.equal(r.status, 200);
  const own = new Set(engine.partition?.symbols);
  return r.body.orders.filter((o: Json) => own.has(o.symbol));
}

/** An engine's /health once its `services["risk-manager"]` is `want` (heartbeats take up to 2 s). */
async function engineHealth(http: Http, engine: TradingSystem, want: 'ok' | 'degraded'): Promise<Reply> {
  let last: Reply | undefined;
  await until(`engine /health with the risk manager ${want}`, async () => {
    last = await http.get(`${engine.url('execution-engine')}/health`);
    return last.body.services?.['risk-manager']?.status === want;
  });
  return last!;
}

const exposureOf = (orders: Json[]): number =>
  orders.reduce((sum, o) => sum + o.price * o.remainingQuantity, 0);

describe('central risk across processes (real nats-server)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tickstorm-cluster-risk-'));
  const riskDir = join(root, 'risk');
  let nats: NatsServer;
  let risk: TradingSystem | null = null;
  let e1: TradingSystem;
  let e2: TradingSystem;
  let feed: NatsBus;
  const http = new Http();

  before(async () => {
    nats = await startNatsServer();
    risk = await start(['risk-manager'], riskDir, nats.url);
    e1 = await start(['execution-engine'], join(root, 'e1'), nats.url, P1);
    e2 = await start(['execution-engine'], join(root, 'e2'), nats.url, P2);
    feed = await NatsBus.connect({ url: nats.url });
  });

  after(async () => {
    await http.close();
    await feed?.close();
    await risk?.close();
    await e1?.close();
    await e2?.close();
    await nats?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** Market data's last price for both symbols, until the risk node has it. */
  async function referencePrices(sys: TradingSystem): Promise<void> {
    const node = sys.riskNode!;
    await until('reference prices at the risk node', () => {
      for (const symbol of [A, B]) {
        const inst = instruments.find(symbol)!;
        feed.publish<Partial<MarketUpdate>>(Topic.MARKET_UPDATE, {
          symbol,
          book: inst.index,
          lastTicks: inst.price.toSteps(PRICE, 'price'),
        });
      }
      return [A, B].every((s) => node.risk.referencePrice(instruments.find(s)!.index) > 0);
    });
  }

  it('concurrent orders over two engines never take the account beyond its gross exposure limit', async () => {
    const sys = risk!;
    for (const engine of [e1, e2]) {
      const h = await engineHealth(http, engine, 'ok');
      assert.equal(h.status, 200);
      assert.equal(h.body.status, 'ok');
      assert.equal(h.body.service, 'execution-engine');
      assert.equal(h.body.services['risk-manager'].detail, '1 instance up');
    }
    await referencePrices(sys);
    const put = await http.put(`${sys.url('risk-manager')}/limits`, { maxGrossExposure: LIMIT });
    assert.equal(put.status, 200);
    assert.equal(put.body.maxGrossExposure, LIMIT);

    const sends: Promise<Reply & { quantity: number }>[] = [];
    for (let i = 0; i < PER_ENGINE; i++) {
      for (const [engine, symbol] of [
        [e1, A],
        [e2, B],
      ] as const) {
        const quantity = 1 + (i % 3);
        const body = { symbol, side: 'buy', type: 'limit', quantity, price: PRICE, account: ACCOUNT };
        sends.push(
          http.post(`${engine.url('execution-engine')}/orders`, body).then((r) => ({ ...r, quantity })),
        );
      }
    }
    const answers = await Promise.all(sends);
    let accepted = 0;
    let denied = 0;
    for (const r of answers) {
      if (r.status === 201) {
        assert.equal(r.body.status, 'new');
        accepted += PRICE * r.quantity;
      } else {
        assert.equal(r.status, 422, JSON.stringify(r.body));
        assert.equal(codedError(r).code, 'TRD_ERR_RISK_REJECTED');
        assert.equal(r.body.error.reason, 'GROSS_EXPOSURE_EXCEEDED');
        denied++;
      }
    }
    assert.ok(denied > 0, 'some orders were denied');
    assert.ok(accepted <= LIMIT, `accepted exposure ${accepted} is within ${LIMIT}`);
    // Denials happen only when the order does not fit: what is left is less than the largest order.
    assert.ok(accepted > LIMIT - 3 * PRICE, `accepted exposure ${accepted} uses the limit`);

    const [on1, on2] = [await resting(http, e1), await resting(http, e2)];
    assert.ok(on1.length > 0 && on2.length > 0, 'both engines rest orders');
    assert.equal(exposureOf(on1) + exposureOf(on2), accepted, 'the engines rest what was accepted');

    // The risk manager's view agrees, once the engines' events are in.
    await until('GET /positions agrees with the engines', async () => {
      const p = await http.get(`${sys.url('risk-manager')}/positions?account=${ACCOUNT}`);
      const acct = p.body.accounts[0];
      return acct !== undefined && acct.grossExposure === accepted;
    });
    const p = await http.get(`${sys.url('risk-manager')}/positions?account=${ACCOUNT}`);
    const rows = new Map<string, Json>(p.body.accounts[0].positions.map((r: Json) => [r.symbol, r]));
    assert.equal(
      rows.get(A).openBuy,
      on1.reduce((s, o) => s + o.remainingQuantity, 0),
    );
    assert.equal(
      rows.get(B).openBuy,
      on2.reduce((s, o) => s + o.remainingQuantity, 0),
    );
    assert.equal(sys.riskNode!.stats().reservations, 0, 'no reservation left behind');
  });

  it('the risk process down: 503 TRD_ERR_RISK_UNAVAILABLE with Retry-After, at once', async () => {
    await risk!.close();
    risk = null;
    const t0 = performance.now();
    const r = await http.post(`${e1.url('execution-engine')}/orders`, {
      symbol: A,
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: PRICE,
      account: ACCOUNT,
    });
    const ms = performance.now() - t0;
    assert.equal(r.status, 503);
    assert.equal(codedError(r).code, 'TRD_ERR_RISK_UNAVAILABLE');
    assert.equal(r.headers.get('retry-after'), '1');
    assert.ok(ms < RISK_CHECK_TIMEOUT_MS * 2, `answered in ${Math.round(ms)} ms`);
    // The engine's own /health says so (it said "ok" while every order was refused).
    const h = await engineHealth(http, e1, 'degraded');
    assert.equal(h.status, 503);
    assert.equal(h.body.status, 'degraded');
    assert.match(h.body.services['risk-manager'].detail, /^down: no live instance \(last heard /);
    assert.equal(h.body.service, 'execution-engine', 'the usual fields stay');
    assert.equal(typeof h.body.liveOrders, 'number');
    assert.equal(h.body.bus.state, 'connected');
  });

  it('restarted on its data dir: the PUT limits, positions rebuilt from the engines, orders accepted again', async () => {
    risk = await start(['risk-manager'], riskDir, nats.url);
    const sys = risk;
    const healthy = await engineHealth(http, e1, 'ok');
    assert.equal(healthy.status, 200);
    assert.equal(healthy.body.status, 'ok');
    const limits = await http.get(`${sys.url('risk-manager')}/limits`);
    assert.equal(limits.body.maxGrossExposure, LIMIT);
    await referencePrices(sys);
    const [on1, on2] = [await resting(http, e1), await resting(http, e2)];
    const want = exposureOf(on1) + exposureOf(on2);
    await until('positions rebuilt from the engines', async () => {
      const p = await http.get(`${sys.url('risk-manager')}/positions?account=${ACCOUNT}`);
      return p.body.accounts[0]?.grossExposure === want;
    });
    const p = await http.get(`${sys.url('risk-manager')}/positions?account=${ACCOUNT}`);
    const rows = new Map<string, Json>(p.body.accounts[0].positions.map((r: Json) => [r.symbol, r]));
    assert.equal(
      rows.get(A).openBuy,
      on1.reduce((s, o) => s + o.remainingQuantity, 0),
    );
    assert.equal(
      rows.get(B).openBuy,
      on2.reduce((s, o) => s + o.remainingQuantity, 0),
    );

    // Still at the limit: a new order is denied until one is cancelled, then one of its size fits.
    const body = {
      symbol: A,
      side: 'buy',
      type: 'limit',
      quantity: on1[0].quantity,
      price: PRICE,
      account: ACCOUNT,
    };
    const over = await http.post(`${e1.url('execution-engine')}/orders`, {
      ...body,
      quantity: LIMIT / PRICE,
    });
    assert.equal(over.status, 422);
    assert.equal(over.body.error.reason, 'GROSS_EXPOSURE_EXCEEDED');
    const cancelled = await http.delete(`${e1.url('execution-engine')}/orders/${on1[0].id}`);
    assert.equal(cancelled.status, 200);
    await until('the cancel reached the risk manager', async () => {
      const q = await http.get(`${sys.url('risk-manager')}/positions?account=${ACCOUNT}`);
      return q.body.accounts[0]?.grossExposure === want - PRICE * on1[0].quantity;
    });
    const again = await http.post(`${e1.url('execution-engine')}/orders`, body);
    assert.equal(again.status, 201, JSON.stringify(again.body));
  });

  it('an engine restarted on its data dir: the risk manager rebuilds, counting its orders once', async () => {
    const sys = risk!;
    const before = sys.riskNode!.stats().epoch;
    await e2.close();
    e2 = await start(['execution-engine'], join(root, 'e2'), nats.url, P2);
    const [on1, on2] = [await resting(http, e1), await resting(http, e2)];
    assert.ok(on2.length > 0, 'the restarted engine recovered its resting orders');
    const want = exposureOf(on1) + exposureOf(on2);
    await until('rebuilt after the engine said hello', async () => {
      const st = sys.riskNode!.stats();
      if (st.epoch === before || st.engines < 2) return false;
      const p = await http.get(`${sys.url('risk-manager')}/positions?account=${ACCOUNT}`);
      return p.body.accounts[0]?.grossExposure === want;
    });
    const h = await http.get(`${sys.url('risk-manager')}/health`);
    assert.equal(h.body.central.reservations, 0);
  });
});
