/**
 * Crossed quotes (market-state.ts, protocol wire/tick.ts): a tick whose bid is above its ask,
 * JSON or in a binary batch, is refused with PRT_ERR_CROSSED_QUOTE (field `bid`, its index in
 * a batch), counted as rejected with its reason, not applied (last price, volume and the held
 * quote unchanged), and the connection carries on. Before, the tick was applied and
 * GET /symbols/SYM0 answered bid 101, ask 99. A locked quote (bid = ask) is accepted. A
 * one-sided tick that crosses the other held side drops that stale side instead of holding a
 * crossed pair.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeTickBatch } from '@tickstorm/protocol';
import type { MarketDataService } from '../src/market-data/ingest-server.ts';
import { MdClient, startTestService, tick } from './support/md-client.ts';

const T = 1_732_280_000.25;

describe('market-data crossed quotes', () => {
  let md: MarketDataService;
  let c: MdClient;
  const symbol = async (s: string) => {
    const r = await fetch(`http://127.0.0.1:${md.port}/symbols/${s}`);
    assert.equal(r.status, 200);
    return (await r.json()) as {
      last: number;
      bid: number | null;
      ask: number | null;
      volume: number;
      ticks: number;
    };
  };

  before(async () => {
    md = (await startTestService()).md;
    c = await MdClient.open(MdClient.url(md));
  });
  after(async () => {
    await c.close();
    await md.close();
  });

  it('refuses bid > ask (JSON and binary) with PRT_ERR_CROSSED_QUOTE; nothing of it is applied', async () => {
    c.send(tick('SYM0', 100, 10, T, { bid: 99.9, ask: 100.1 }));
    const before = await c.sync();
    c.errors.length = 0;
    c.send(tick('SYM0', 105, 7, T, { bid: 101, ask: 99 }));
    c.send(
      encodeTickBatch([
        tick('SYM1', 50, 1, T, { bid: 49.9, ask: 50.1 }),
        tick('SYM0', 106, 3, T, { bid: 100.2, ask: 100.19 }),
      ] as never),
    );
    c.send(tick('SYM2', 20, 1, T));
    const ack = await c.sync();
    assert.deepEqual(
      c.errors.map((e) => [e.code, e.field, e.index]),
      [
        ['PRT_ERR_CROSSED_QUOTE', 'bid', undefined],
        ['PRT_ERR_CROSSED_QUOTE', 'bid', 1],
      ],
    );
    assert.match(c.errors[0].message, /bid 101 is above ask 99 for SYM0/);
    assert.deepEqual(
      [ack.received - before.received, ack.processed - before.processed, ack.rejected - before.rejected],
      [4, 2, 2],
    );
    const s0 = await symbol('SYM0');
    assert.deepEqual([s0.last, s0.bid, s0.ask, s0.volume, s0.ticks], [100, 99.9, 100.1, 10, 1]);
    assert.deepEqual([(await symbol('SYM1')).bid, (await symbol('SYM2')).last], [49.9, 20]);
    // /stats' rejectedByReason, which tickstorm_market_data_ticks_rejected_by_reason_total exports
    const stats = md.stats();
    assert.equal(stats.rejectedByReason.PRT_ERR_CROSSED_QUOTE, 2);
    assert.equal(stats.ticksRejected, 2);
  });

  it('accepts a locked quote (bid = ask)', async () => {
    c.errors.length = 0;
    c.send(tick('SYM3', 10, 1, T, { bid: 10, ask: 10 }));
    await c.sync();
    assert.deepEqual(c.errors, []);
    const s = await symbol('SYM3');
    assert.deepEqual([s.bid, s.ask], [10, 10]);
  });

  it('a one-sided tick through the other held side drops that stale side', async () => {
    c.errors.length = 0;
    c.send(tick('SYM4', 30, 1, T, { bid: 29.9, ask: 30.1 }));
    c.send(tick('SYM4', 30.5, 1, T, { bid: 30.4 }));
    await c.sync();
    let s = await symbol('SYM4');
    assert.deepEqual([s.bid, s.ask], [30.4, null]);
    c.send(tick('SYM4', 30.2, 1, T, { ask: 30.3 }));
    c.send(tick('SYM4', 30.2, 1, T, { ask: 30.2 }));
    await c.sync();
    s = await symbol('SYM4');
    assert.deepEqual([s.bid, s.ask], [null, 30.2]);
    c.send(tick('SYM4', 30.2, 1, T, { bid: 30.1 }));
    await c.sync();
    s = await symbol('SYM4');
    assert.deepEqual([s.bid, s.ask], [30.1, 30.2], 'a bid under the held ask keeps it');
    assert.deepEqual(c.errors, []);
  });
});
