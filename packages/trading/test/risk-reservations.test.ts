/**
 * Central risk's reservation rules (src/cluster/risk-ledger.ts), on the in-process bus: a
 * risk node and an engine core that checks there (RemoteRiskClient) and publishes its book
 * events (RiskEventPublisher). After every step the node's positions and open quantities
 * equal the engine's own in-process RiskEngine (what a local risk check would have seen),
 * and no reservation is left behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { InProcessBus } from '../src/bus/bus.ts';
import { type MarketUpdate, Topic } from '../src/bus/topics.ts';
import { RemoteRiskClient } from '../src/cluster/remote-risk-client.ts';
import { RiskEventPublisher, STATE_PART_CELLS } from '../src/cluster/risk-event-publisher.ts';
import { RiskNode } from '../src/cluster/risk-node.ts';
import { Side } from '../src/domain/enums.ts';
import { OrderStatus } from '../src/domain/order-status.ts';
import { RiskCode } from '../src/risk/risk-codes.ts';
import type { RiskEngine } from '../src/risk/risk-engine.ts';
import { stateHash } from '../src/system/state-hash.ts';
import { TradingCore } from '../src/system/trading-core.ts';

const instruments = new InstrumentTable();
const A = instruments.list[0];
const B = instruments.list[1];

/** Every non-empty cell of `risk`, by account name: "account symbol pos openBuy openSell". */
function cells(risk: RiskEngine): string[] {
  const out: string[] = [];
  const n = risk.instruments.size;
  for (let a = 0; a < risk.accounts.size; a++) {
    for (let s = 0; s < n; s++) {
      const k = a * n + s;
      const { pos, openBuy, openSell } = risk.st;
      if (pos[k] !== 0 || openBuy[k] !== 0 || openSell[k] !== 0) {
        out.push(
          `${risk.accounts.nameOf(a)} ${instruments.list[s].symbol} ${pos[k]} ${openBuy[k]} ${openSell[k]}`,
        );
      }
    }
  }
  return out.sort();
}

function limit(symbol: string, side: 'buy' | 'sell', quantity: number, price: number, account: string) {
  return { symbol, side, type: 'limit', quantity, price, account };
}

describe('central risk: reservations on the in-process bus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-risk-res-'));
  const bus = new InProcessBus();
  let node: RiskNode;
  let core: TradingCore;
  let events: RiskEventPublisher;
  let client: RemoteRiskClient;

  /** The node agrees with the engine's own risk state, and holds no reservation. */
  function agrees(what: string): void {
    assert.deepEqual(cells(node.risk), cells(core.risk), what);
    assert.equal(node.stats().reservations, 0, `${what}: no reservation left`);
  }

  before(async () => {
    node = await RiskNode.start({ bus, instruments, dataDir: dir, settleMs: 0 });
    events = new RiskEventPublisher(bus);
    client = new RemoteRiskClient(bus, events);
    core = new TradingCore({
      instruments,
      dataDir: dir,
      inputLog: false,
      remoteRisk: client,
      listeners: [events],
    });
    events.start(core.risk);
  });

  after(async () => {
    events.stop();
    await node.close();
    await core.close();
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a resting order is reserved once; a fill as taker moves open to position on both sides', async () => {
    const rest = await core.gateway.submit(limit(A.symbol, 'sell', 10, 100, 'maker'));
    assert.equal(rest.status, 201);
    agrees('resting sell');
    assert.equal(node.risk.openLots(node.accounts.indexOf('maker'), A.index, Side.SELL), 10);
    const take = await core.gateway.submit(limit(A.symbol, 'buy', 4, 100, 'taker'));
    assert.equal(take.status, 201);
    agrees('taker filled in full');
    assert.equal(node.risk.positionLots(node.accounts.indexOf('taker'), A.index), 4);
  });

  it('a partial fill then rest: the rest stays open', async () => {
    const r = await core.gateway.submit(limit(A.symbol, 'buy', 15, 100, 'taker'));
    assert.equal(r.status, 201);
    agrees('partially filled, the rest resting');
    assert.equal(node.risk.openLots(node.accounts.indexOf('taker'), A.index, Side.BUY), 9);
  });

  it('a market order with no liquidity releases its reservation', async () => {
    const r = await core.gateway.submit({
      symbol: B.symbol,
      side: 'buy',
      type: 'market',
      quantity: 7,
      account: 'taker',
    });
    assert.equal(r.status, 201);
    assert.equal((r.body as { toJSON(): { status: string } }).toJSON().status, 'cancelled');
    agrees('market order cancelled for no liquidity');
  });

  it('a cancel releases the open quantity', async () => {
    const r = await core.gateway.submit(limit(B.symbol, 'sell', 3, 120, 'maker'));
    assert.equal(r.status, 201);
    const id = (r.body as { id: string }).id;
    agrees('resting');
    const c = await core.gateway.cancel(id);
    assert.equal(c.status, 200);
    agrees('cancelled');
  });

  it('a passing check holds its reservation until the order shows up or is released', async () => {
    const req = {
      inst: B,
      side: Side.BUY,
      type: 0,
      priceTicks: 10_000,
      lots: 5,
      clientOrderId: undefined,
      account: 'solo',
    } as const;
    const v = await client.check(req);
    assert.equal(v.code, RiskCode.OK);
    assert.equal(node.stats().reservations, 1);
    const a = node.accounts.indexOf('solo');
    assert.equal(node.risk.openLots(a, B.index, Side.BUY), 5, 'reserved as open quantity');
    client.release(v.res!);
    agrees('released');
    assert.equal(node.risk.openLots(a, B.index, Side.BUY), 0);
  });

  it('concurrent checks see each other: the second is denied on gross exposure', async () => {
    // Open quantities are valued at the reference price (none yet on B: zero): give B one.
    bus.publish<Partial<MarketUpdate>>(Topic.MARKET_UPDATE, {
      symbol: B.symbol,
      book: B.index,
      lastTicks: 10_000,
    });
    assert.equal(node.risk.referencePrice(B.index), 10_000);
    await node.updateLimits({ maxGrossExposure: 1_500 });
    try {
      const req = {
        inst: B,
        side: Side.BUY,
        type: 0,
        priceTicks: 10_000,
        lots: 10,
        clientOrderId: undefined,
        account: 'gross',
      } as const;
      const one = await client.check(req);
      const two = await client.check(req);
      if (one.res !== null) client.release(one.res);
      if (two.res !== null) client.release(two.res);
      assert.equal(one.code, RiskCode.OK);
      assert.equal(two.code, RiskCode.GROSS_EXPOSURE_EXCEEDED);
      assert.equal(two.res, null);
      agrees('released');
    } finally {
      await node.updateLimits({ maxGrossExposure: 1_000_000_000 });
    }
  });

  it('a release that arrives before its (late) check: the check reserves nothing', () => {
    node.ledger.apply('late-engine', { k: 'r', res: 'late-engine:1' });
    const code = node.ledger.check({
      res: 'late-engine:1',
      symbol: B.symbol,
      book: B.index,
      side: Side.SELL,
      type: 0,
      priceTicks: 10_000,
      lots: 2,
      account: 'late',
    });
    assert.equal(code, RiskCode.OK);
    agrees('nothing reserved');
  });

  it('a rebuild from the engine gives the same state, in one part or in many', () => {
    const before = cells(node.risk);
    assert.ok(before.length >= 2);
    node.resync();
    assert.deepEqual(cells(node.risk), before);
    agrees('after resync');
    assert.equal(node.stats().engines, 1);
    events.partCells = 1;
    try {
      node.resync();
      agrees('after a resync in parts');
      assert.equal(node.stats().engines, 1);
    } finally {
      events.partCells = STATE_PART_CELLS;
    }
  });

  it('an engine whose state has not arrived: its events are dropped (already in its state), its reservation freed', () => {
    const ledger = node.ledger;
    const g = (): number => node.accounts.indexOf('ghost-acct');
    const dropped = ledger.dropped;
    const code = ledger.check({
      res: 'ghost:1',
      symbol: B.symbol,
      book: B.index,
      side: Side.BUY,
      type: 0,
      priceTicks: 10_000,
      lots: 4,
      account: 'ghost-acct',
    });
    assert.equal(code, RiskCode.OK);
    assert.equal(node.risk.openLots(g(), B.index, Side.BUY), 4, 'reserved');
    const accepted = {
      k: 's',
      book: B.index,
      side: Side.BUY,
      account: 'ghost-acct',
      prev: OrderStatus.NONE,
      st: OrderStatus.NEW,
      rem: 4,
    } as const;
    ledger.apply('ghost', { ...accepted, res: 'ghost:1' });
    assert.equal(ledger.dropped, dropped + 1);
    assert.equal(node.risk.openLots(g(), B.index, Side.BUY), 0, 'reservation freed, event not applied');
    ledger.apply('ghost', {
      k: 'state',
      epoch: ledger.epoch,
      part: 0,
      last: true,
      accounts: [{ account: 'ghost-acct', cells: [[B.index, 0, 4, 0]] }],
    });
    assert.equal(node.risk.openLots(g(), B.index, Side.BUY), 4, 'counted once, from the state');
    ledger.apply('ghost', { ...accepted, prev: OrderStatus.NEW, st: OrderStatus.CANCELLED });
    assert.equal(node.risk.openLots(g(), B.index, Side.BUY), 0, 'events after the state apply');
    agrees('the ghost engine holds nothing');
  });

  it('a rebuild holds checks (no verdict, the engine asks again) until every engine it expects sent its state; a bye stops the wait', async () => {
    const ledger = node.ledger;
    const req = {
      inst: B,
      side: Side.BUY,
      type: 0,
      priceTicks: 10_000,
      lots: 1,
      clientOrderId: undefined,
      account: 'solo',
    } as const;
    node.resync(); // the engine core answers at once (in-process bus); the ghost does not
    assert.equal(ledger.rebuilding(), true);
    assert.equal(node.stats().waiting, 1);
    const pending = client.check(req);
    let settled = false;
    pending.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    // the node's first answer ("retry") has come back and the client waits to ask again
    await new Promise((r) => setImmediate(r));
    assert.equal(settled, false, 'no verdict while the node rebuilds');
    assert.equal(node.stats().reservations, 0, 'nothing reserved meanwhile');
    ledger.apply('ghost', { k: 'state', epoch: ledger.epoch, part: 0, last: true, accounts: [] });
    assert.equal(ledger.rebuilding(), false);
    const v = await pending;
    assert.equal(v.code, RiskCode.OK);
    client.release(v.res!);
    ledger.apply('ghost', { k: 'bye' });
    node.resync();
    assert.equal(ledger.rebuilding(), false, 'the ghost left: nothing to wait for');
    agrees('after the rebuilds');
  });

  it('PUT /limits is saved and read back by a new node on the same data dir', async () => {
    await node.updateLimits({ maxGrossExposure: 12_345 });
    const other = new InProcessBus();
    const again = await RiskNode.start({ bus: other, instruments, dataDir: dir, settleMs: 0 });
    try {
      assert.equal(again.risk.getLimits().maxGrossExposure, 12_345);
    } finally {
      await again.close();
      await other.close();
    }
  });
});

describe('central risk: the engine core journals, a restart rebuilds its own risk state', () => {
  it('a cell priced without a reference (no market data yet) is valued alike live and recovered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-risk-res-journal-'));
    const bus = new InProcessBus();
    const node = await RiskNode.start({ bus, instruments, dataDir: join(dir, 'node'), settleMs: 0 });
    const events = new RiskEventPublisher(bus);
    const client = new RemoteRiskClient(bus, events);
    const data = join(dir, 'core');
    const open = (o: { remoteRisk?: RemoteRiskClient; listeners?: RiskEventPublisher[] } = {}) =>
      new TradingCore({ instruments, dataDir: data, snapshotIntervalMs: 0, report: () => {}, ...o });
    const live = open({ remoteRisk: client, listeners: [events] });
    events.start(live.risk);
    try {
      const high = await live.gateway.submit(limit(B.symbol, 'buy', 5, 100, 'nr'));
      assert.equal((await live.gateway.submit(limit(B.symbol, 'buy', 5, 50, 'nr'))).status, 201);
      assert.equal((await live.gateway.cancel((high.body as { id: string }).id)).status, 200);
      const hash = stateHash(live);
      const crashed = open(); // the journal alone, as after a crash
      try {
        assert.equal(stateHash(crashed), hash, 'the journal rebuilds what the live core held');
      } finally {
        await crashed.close();
      }
    } finally {
      events.stop();
      await live.close().catch(() => {});
      await node.close();
      await bus.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
