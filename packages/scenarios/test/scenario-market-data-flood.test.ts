import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { TickBatchReader } from '@tickstorm/protocol';
import { marketDataFlood } from '../src/market-data-flood.ts';
import { buildTickStream, connectionSymbols, seedPrice, stampFrame } from '../src/tick-stream.ts';
import { assertParamSpecs, assertResultShape, target } from './support/scenario-checks.ts';
import { startTarget, type Target } from './support/trading-target.ts';

const TARGETS = ['Ticks/s', 'Dropped ticks', 'Processing latency P99'];
let sys: Target;
before(async () => {
  sys = await startTarget();
});
after(() => sys.close());

/** Payload of a prebuilt zero-masked client frame. */
function payload(frame: Buffer): Buffer {
  const l = frame[1] & 0x7f;
  const head = l < 126 ? 6 : l === 126 ? 8 : 14;
  return frame.subarray(head);
}

test('tick stream: the standard price walk per symbol, timestamps stamped in place (JSON and binary)', () => {
  const syms = connectionSymbols(
    3,
    50,
    Array.from({ length: 100 }, (_, i) => `SYM${i}`),
  );
  assert.deepEqual(syms, ['SYM3', 'SYM53']);
  assert.deepEqual(connectionSymbols(7, 60, ['A', 'B']), ['B']);
  const json = buildTickStream(['SYM0', 'SYM1'], 3, 'json');
  assert.equal(json.frames.length, 200); // 2 symbols x 100 prices, 3 ticks a frame: lcm 600 / 3
  stampFrame(json, 1, 1_732_280_000_123.9);
  const ticks = JSON.parse(payload(json.frames[1].bytes).toString()) as Record<string, unknown>[];
  assert.deepEqual(
    ticks.map((t) => [t.symbol, t.price, t.timestamp, t.volume]),
    [
      ['SYM1', seedPrice(1), 1732280000.123, 1000],
      ['SYM0', seedPrice(2), 1732280000.123, 1000],
      ['SYM1', seedPrice(2), 1732280000.123, 1000],
    ],
  );
  assert.equal(seedPrice(3), 100.3); // not 100.30000000000001
  const one = buildTickStream(['SYM9'], 1, 'json');
  stampFrame(one, 0, 1_800_000_000_000);
  assert.deepEqual(JSON.parse(payload(one.frames[0].bytes).toString()), {
    type: 'tick',
    symbol: 'SYM9',
    price: 100,
    volume: 1000,
    timestamp: 1_800_000_000,
  });
  const bin = buildTickStream(['SYM0', 'SYM1', 'SYM2'], 4, 'binary');
  stampFrame(bin, 0, 1_732_280_000_500);
  const reader = new TickBatchReader();
  assert.equal(reader.read(new Uint8Array(payload(bin.frames[0].bytes))), null);
  assert.equal(reader.count, 4);
  for (let i = 0; i < 4; i++) {
    assert.equal(reader.symbols[reader.symbolIndex(i)], ['SYM0', 'SYM1', 'SYM2'][i % 3]);
    assert.equal(reader.timestamp(i), 1_732_280_000.5);
  }
});

test('market-data-flood: JSON arrays at 5,000 ticks/s, every tick processed, proven by sync acks', async () => {
  const r = await marketDataFlood.run(
    { urls: sys.urls, workers: 1 },
    { rate: 5000, duration: '1500ms', ticksPerFrame: 100 },
  );
  assertResultShape(r, marketDataFlood, TARGETS);
  const x = r.extra;
  assert.equal(x.ticksSent, 7500); // the schedule exactly: 75 frames of 100
  assert.equal(x.framesSent, 75);
  assert.equal(x.ticksProcessed, 7500);
  assert.equal(x.ticksRejected, 0);
  assert.equal(x.droppedTicks, 0);
  assert.equal(x.proof, 'sync acks on every connection');
  const server = x.server as Record<string, unknown>;
  assert.equal(server.ticksProcessedDelta, 7500);
  assert.equal(server.latencyReset, true);
  assert.equal(r.requests, 75); // one request event per frame
  assert.equal(r.entries[0].type, 'WS');
  assert.equal(r.entries[0].name, 'tick frame');
  assert.equal(r.params.rate, 5000);
  assert.equal(r.params.connections, 50);
  const rate = target(r, 'Ticks/s');
  assert.equal(rate.value, Math.round((7500 / Math.max(1.5, r.durationSec)) * 100) / 100);
  assert.equal(rate.pass, rate.value >= 4950);
  const dropped = target(r, 'Dropped ticks');
  assert.equal(dropped.value, 0);
  assert.equal(dropped.pass, true);
  const lat = target(r, 'Processing latency P99');
  const serverLat = x.serverLatencyMs as { p99: number; count: number };
  assert.equal(serverLat.count, 75); // reset first: this run's frames only
  assert.equal(lat.value, serverLat.p99);
  assert.equal(lat.pass, serverLat.p99 < 10);
});

test('market-data-flood: binary frames of one tick, 7 connections over 2 generator threads', async () => {
  const r = await marketDataFlood.run(
    { urls: sys.urls, workers: 2 },
    { rate: 2000, duration: '1s', ticksPerFrame: 1, format: 'binary', connections: 7, symbols: 10 },
  );
  assertResultShape(r, marketDataFlood, TARGETS);
  assert.equal(r.generator.workers, 2);
  assert.equal(r.extra.connectionsOpened, 7);
  assert.equal(r.extra.ticksSent, 2000);
  assert.equal(r.extra.ticksProcessed, 2000);
  assert.equal(r.extra.droppedTicks, 0);
  assert.equal(target(r, 'Dropped ticks').pass, true);
});

test('market-data-flood: ticks the system rejects are counted, and fail "Dropped ticks"', async () => {
  // SYM50..SYM59 are not instruments of the system: those ticks are rejected, with reasons.
  const r = await marketDataFlood.run(
    { urls: sys.urls, workers: 1 },
    { rate: 600, duration: '1s', ticksPerFrame: 10, connections: 6, symbols: 60 },
  );
  assert.equal(r.extra.ticksSent, 600);
  assert.equal(r.extra.ticksRejected, 100);
  assert.equal(r.extra.ticksProcessed, 500);
  assert.equal(r.extra.ticksLost, 0);
  assert.equal(r.extra['errorFrames.PRT_ERR_UNKNOWN_SYMBOL'], 100);
  const dropped = target(r, 'Dropped ticks');
  assert.equal(dropped.value, 100);
  assert.equal(dropped.pass, false);
  assert.match(dropped.actual, /100 rejected, 0 lost/);
});

test('market-data-flood: validate names every bad flag at once', () => {
  assertParamSpecs(marketDataFlood);
  const problems = marketDataFlood.validate({
    rate: 'fast',
    ticksPerFrame: 0,
    format: 'xml',
    connections: 2.5,
    duration: 'soon',
    resetServerStats: 'maybe',
  });
  assert.equal(problems.length, 6, problems.join('\n'));
  for (const flag of [
    '--rate',
    '--ticks-per-frame',
    '--format',
    '--connections',
    '--duration',
    '--reset-server-stats',
  ]) {
    assert.ok(
      problems.some((p) => p.startsWith(`${flag} must be`)),
      `${flag} in ${problems.join('; ')}`,
    );
  }
  assert.deepEqual(marketDataFlood.validate({ rate: '2000', duration: 5, symbols: '10' }), []);
  assert.match(
    marketDataFlood.validate({ rate: 1, ticksPerFrame: 100, duration: '1s' })[0],
    /at least one frame/,
  );
  assert.match(marketDataFlood.validate({ rat: 5 })[0], /unknown parameter 'rat'/);
  return assert.rejects(
    () => marketDataFlood.run({ urls: sys.urls, workers: 1 }, { rate: -1 }),
    /--rate must be/,
  );
});
