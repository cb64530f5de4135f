/**
 * Tick timestamps ahead of the server clock, over a real WebSocket against the service on a
 * free port. A tick further ahead than the bound (10 s by default) is refused with
 * PRT_ERR_TIMESTAMP_AHEAD and not applied, the connection stays open, and the honest ticks
 * after it still make bars (applied, it would have opened a bar in the future and every later
 * tick of the symbol would have counted as late). Honest clocks are never refused: epoch
 * seconds as Python's time.time() sends them, a small skew either way, hours in the past. A
 * millisecond clock is refused as before, by the range check (PRT_ERR_OUT_OF_RANGE), not as a
 * clock ahead. The bound is configurable (service option, `serve --max-tick-ahead`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, test } from 'node:test';
import { encodeTickBatch } from '@tickstorm/protocol';
import { TradingErrorCode } from '../src/errors.ts';
import type { MarketDataService } from '../src/market-data/ingest-server.ts';
import { run, serveSandbox, TICKSTORM, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { MdClient, startTestService, tick } from './support/md-client.ts';

const now = () => Date.now() / 1000;

function bookOf(md: MarketDataService, symbol: string): number {
  return md.state.instruments.get(symbol).index;
}

describe('market-data: a tick timestamp far ahead of the clock (default bound)', () => {
  let md: MarketDataService;
  let c: MdClient;
  before(async () => {
    md = (await startTestService()).md;
    c = await MdClient.open(MdClient.url(md));
  });
  after(async () => {
    await c.close();
    await md.close();
  });

  it('is refused (PRT_ERR_TIMESTAMP_AHEAD, not applied), the connection kept, later ticks not late', async () => {
    const b = bookOf(md, 'SYM0');
    const late0 = { ...md.stats().lateTicks };
    const base = await c.sync();
    c.errors.length = 0;
    // within the protocol's bound (1e11) but a day ahead of the server clock
    c.send(tick('SYM0', 100, 1, now() + 86_400));
    const refused = await c.sync();
    assert.equal(c.errors.length, 1, JSON.stringify(c.errors));
    assert.equal(c.errors[0].code, 'PRT_ERR_TIMESTAMP_AHEAD');
    assert.equal(c.errors[0].field, 'timestamp');
    assert.equal(c.errors[0].index, undefined);
    assert.match(c.errors[0].message, /ahead of the server clock \(at most 10 s accepted\)/);
    assert.equal(refused.rejected - base.rejected, 1);
    assert.equal(md.state.tickCount[b], 0, 'the refused tick is not applied');
    assert.equal(md.state.bars1s.size(b), 0, 'no bar opened in the future');

    // the same connection goes on: honest ticks are applied and make bars, none counted late
    for (let i = 0; i < 5; i++) c.send(tick('SYM0', 101 + i, 1, now()));
    const ack = await c.sync();
    assert.equal(ack.processed - refused.processed, 5);
    assert.equal(ack.rejected, refused.rejected);
    assert.equal(md.state.tickCount[b], 5);
    assert.deepEqual(md.stats().lateTicks, late0);
    const bars = md.state.bars('SYM0', '1s', 10);
    assert.ok(bars.length >= 1);
    assert.equal(
      bars.reduce((n, x) => n + x.ticks, 0),
      5,
    );
    assert.ok(Math.abs(bars.at(-1)!.time - now()) < 60, 'bars are at the present, not a day ahead');
    assert.equal(md.stats().rejectedByReason.PRT_ERR_TIMESTAMP_AHEAD, 1);
  });

  it('honest clocks are never refused: time.time() seconds, small skew either way, the past', async () => {
    const b = bookOf(md, 'SYM1');
    const base = await c.sync();
    c.errors.length = 0;
    const t = now();
    const stamps = [
      t, // Python's time.time(): float seconds with µs digits
      Math.round(t * 1e6) / 1e6,
      Math.floor(t), // whole seconds
      t + 2, // a client clock 2 s fast
      t + 9.5, // just inside the 10 s bound
      t - 3, // a client clock 3 s slow
      t - 7200, // replayed history, hours old
    ];
    for (const ts of stamps) c.send(tick('SYM1', 50, 1, ts));
    c.send(stamps.map((ts) => tick('SYM1', 51, 1, ts))); // a JSON array
    c.send(encodeTickBatch(stamps.map((ts) => tick('SYM1', 52, 1, ts)) as never)); // a binary batch
    const ack = await c.sync();
    assert.deepEqual(c.errors, []);
    assert.equal(ack.processed - base.processed, stamps.length * 3);
    assert.equal(md.state.tickCount[b], stamps.length * 3);
  });

  it('a millisecond clock is refused by the range check as before, not as a clock ahead', async () => {
    c.errors.length = 0;
    c.send(tick('SYM2', 10, 1, Date.now()));
    await c.sync();
    assert.deepEqual(
      c.errors.map((e) => [e.code, e.field]),
      [['PRT_ERR_OUT_OF_RANGE', 'timestamp']],
    );
    assert.match(c.errors[0].message, /not milliseconds/);
  });

  it('in an array or a binary batch, only the tick ahead is refused (with its index)', async () => {
    const b = bookOf(md, 'SYM3');
    const base = await c.sync();
    c.errors.length = 0;
    const t = now();
    c.send([tick('SYM3', 10, 1, t), tick('SYM3', 11, 1, t + 3600), tick('SYM3', 12, 1, t)]);
    c.send(
      encodeTickBatch([tick('SYM3', 13, 1, t), tick('SYM3', 14, 1, 9e10), tick('SYM3', 15, 1, t)] as never),
    );
    const ack = await c.sync();
    assert.deepEqual(
      c.errors.map((e) => [e.code, e.index]),
      [
        ['PRT_ERR_TIMESTAMP_AHEAD', 1],
        ['PRT_ERR_TIMESTAMP_AHEAD', 1],
      ],
    );
    assert.equal(ack.processed - base.processed, 4);
    assert.equal(ack.rejected - base.rejected, 2);
    assert.equal(md.state.tickCount[b], 4);
    assert.equal(md.state.lastPrice[b], 15);
  });
});

describe('market-data: the bound is configurable', () => {
  test('maxTickAheadMs 2000: 1.5 s ahead is accepted, a minute ahead refused', async () => {
    const { md } = await startTestService({ maxTickAheadMs: 2000 });
    const c = await MdClient.open(MdClient.url(md));
    try {
      const t = now();
      c.send(tick('SYM0', 10, 1, t + 1.5));
      c.send(tick('SYM0', 11, 1, t + 60));
      const ack = await c.sync();
      assert.deepEqual([ack.processed, ack.rejected], [1, 1]);
      assert.equal(c.errors[0].code, 'PRT_ERR_TIMESTAMP_AHEAD');
      assert.match(c.errors[0].message, /at most 2 s accepted/);
    } finally {
      await c.close();
      await md.close();
    }
  });

  test('maxTickAheadMs 0 turns the check off; a negative bound is refused at start', async () => {
    const { md } = await startTestService({ maxTickAheadMs: 0 });
    const c = await MdClient.open(MdClient.url(md));
    try {
      c.send(tick('SYM0', 10, 1, now() + 86_400));
      const ack = await c.sync();
      assert.deepEqual([ack.processed, ack.rejected], [1, 0]);
    } finally {
      await c.close();
      await md.close();
    }
    await assert.rejects(startTestService({ maxTickAheadMs: -1 }), {
      code: TradingErrorCode.INVALID_CONFIG,
      field: 'maxTickAheadMs',
    });
  });
});

describe('tickstorm serve --max-tick-ahead (child process)', () => {
  const box = serveSandbox('tickstorm-tick-ahead-');
  after(() => box.cleanup());

  test('the flag sets the bound of the running market-data service', { timeout: 120_000 }, async () => {
    const served = await box.serve(['--data-dir', box.tmp(), ...ZERO_PORT_FLAGS, '--max-tick-ahead', '1000']);
    const c = await MdClient.open(`${served.urls['market-data'].replace(/^http/, 'ws')}/stream`);
    try {
      const t = now();
      c.send(tick('AAPL', 100, 1, t));
      c.send(tick('AAPL', 100, 1, t + 60));
      const ack = await c.sync();
      assert.deepEqual([ack.processed, ack.rejected], [1, 1]);
      assert.equal(c.errors[0].code, 'PRT_ERR_TIMESTAMP_AHEAD');
      assert.match(c.errors[0].message, /at most 1 s accepted/);
    } finally {
      await c.close();
    }
    served.child.kill('SIGTERM');
    assert.equal((await served.done).code, 0);
  });

  test('a bad TICKSTORM_MAX_TICK_AHEAD_MS exits 2 naming it', { timeout: 60_000 }, async () => {
    const env = { ...process.env, TICKSTORM_MAX_TICK_AHEAD_MS: '10s' };
    const f = await run(
      process.execPath,
      [TICKSTORM, 'serve', '--data-dir', box.tmp(), ...ZERO_PORT_FLAGS],
      env,
    );
    assert.equal(f.code, 2, f.stderr);
    assert.match(
      f.stderr,
      /TICKSTORM_MAX_TICK_AHEAD_MS must be an integer >= 0 \(ms; 0 = not checked\), got "10s"/,
    );
  });
});
