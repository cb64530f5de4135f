/**
 * The market-data wire formats (packages/protocol/src/wire): the tick validator (codes,
 * float-noise snapping) and the binary batch (round trip at any buffer offset, every
 * malformed-frame check).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeTickBatch,
  InstrumentTable,
  snapPriceToTicks,
  type Tick,
  TickBatchReader,
  TickBatchWriter,
  tickBatchBytes,
  ValidTick,
  validateTick,
} from '@tickstorm/protocol';
import fc from 'fast-check';

const instruments = new InstrumentTable([
  ...new InstrumentTable().list.map((i) => i.spec),
  { symbol: 'ES', tickSize: 0.25, lotSize: 1, minPrice: 1, maxPrice: 10_000 },
]);
const out = new ValidTick();
const T = 1_732_280_000.123;

describe('validateTick', () => {
  it('accepts a standard tick and fills the reused struct', () => {
    const t = { type: 'tick', symbol: 'SYM0', price: 100.1, volume: 1000, timestamp: T };
    assert.equal(validateTick(t, instruments, out), null);
    assert.deepEqual(
      [out.book, out.priceTicks, out.volume, out.timestamp, out.bidTicks, out.askTicks],
      [0, 10_010, 1000, T, -1, -1],
    );
    assert.equal(validateTick({ ...t, bid: 100, ask: null }, instruments, out), null);
    assert.deepEqual([out.bidTicks, out.askTicks], [10_000, -1]);
  });

  it('snaps binary float noise to the grid, refuses real off-grid prices', () => {
    const sym0 = instruments.get('SYM0');
    for (let k = 0; k < 1000; k++) {
      const p = 100.0 + (k % 100) * 0.1; // a Python generator, e.g. 100.30000000000001
      assert.equal(snapPriceToTicks(sym0, p), 10_000 + (k % 100) * 10, String(p));
    }
    assert.equal(snapPriceToTicks(sym0, 0.1 + 0.2), 30);
    assert.equal(snapPriceToTicks(sym0, 100.005), -1);
    assert.equal(snapPriceToTicks(sym0, 100.0001), -1);
    const es = instruments.get('ES');
    assert.equal(snapPriceToTicks(es, 5000.25), 20_001);
    assert.equal(snapPriceToTicks(es, 5000.1), -1);
    assert.equal(snapPriceToTicks(es, 10_000.25), -1, 'above maxPrice');
    assert.equal(snapPriceToTicks(es, 0.75), -1, 'below minPrice');
  });

  it('names the field and code of every problem', () => {
    const base = { type: 'tick', symbol: 'ES', price: 5000, volume: 1, timestamp: T };
    const cases: [unknown, string, string | undefined][] = [
      [null, 'PRT_ERR_INVALID_FIELD', undefined],
      [[base], 'PRT_ERR_INVALID_FIELD', undefined],
      [{ ...base, type: 'x'.repeat(500) }, 'PRT_ERR_INVALID_FIELD', 'type'],
      [{ ...base, symbol: undefined }, 'PRT_ERR_MISSING_FIELD', 'symbol'],
      [{ ...base, price: 5000.1 }, 'PRT_ERR_PRICE_OFF_TICK', 'price'],
      [{ ...base, price: 20_000 }, 'PRT_ERR_OUT_OF_RANGE', 'price'],
      [{ ...base, volume: null }, 'PRT_ERR_INVALID_FIELD', 'volume'],
      [{ ...base, timestamp: -1 }, 'PRT_ERR_NOT_POSITIVE', 'timestamp'],
      [{ ...base, timestamp: '1' }, 'PRT_ERR_INVALID_FIELD', 'timestamp'],
      [{ ...base, ask: -1 }, 'PRT_ERR_NOT_POSITIVE', 'ask'],
    ];
    for (const [v, code, field] of cases) {
      const p = validateTick(v, instruments, out);
      assert.ok(p !== null, JSON.stringify(v));
      assert.equal(p.code, code, p.message);
      assert.equal(p.field, field);
      assert.ok(p.message.length < 200, 'messages stay short');
    }
  });
});

const tickArb = fc.record({
  type: fc.constant('tick' as const),
  symbol: fc.constantFrom('SYM0', 'SYM1', 'AAPL', 'ES'),
  price: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
  volume: fc.double({ min: 0, max: 1e9, noNaN: true }),
  timestamp: fc.double({ min: 0, max: 2e9, noNaN: true }),
  bid: fc.option(fc.double({ noNaN: true }), { nil: undefined }),
  ask: fc.option(fc.double({ noNaN: true }), { nil: undefined }),
});

function decodeAll(buf: Uint8Array): Tick[] {
  const r = new TickBatchReader();
  const p = r.read(buf);
  assert.equal(p, null, p?.message);
  return Array.from({ length: r.count }, (_, i) => {
    const t: Tick = {
      type: 'tick',
      symbol: r.symbols[r.symbolIndex(i)],
      price: r.price(i),
      volume: r.volume(i),
      timestamp: r.timestamp(i),
    };
    if (r.hasQuotes) {
      if (!Number.isNaN(r.bid(i))) t.bid = r.bid(i);
      if (!Number.isNaN(r.ask(i))) t.ask = r.ask(i);
    }
    return t;
  });
}

describe('binary tick batch', () => {
  it('round-trips any ticks, at any byte offset of the carrying buffer', () => {
    fc.assert(
      fc.property(fc.array(tickArb, { maxLength: 50 }), fc.nat(7), (ticks, shift) => {
        const frame = encodeTickBatch(ticks);
        const symbols = [...new Set(ticks.map((t) => t.symbol))];
        const quotes = ticks.some((t) => t.bid !== undefined || t.ask !== undefined);
        assert.equal(frame.length, tickBatchBytes(ticks.length, symbols, quotes));
        const carrier = new Uint8Array(frame.length + shift);
        carrier.set(frame, shift);
        const expected = ticks.map((t) => {
          const { bid, ask, ...rest } = t;
          return { ...rest, ...(bid === undefined ? {} : { bid }), ...(ask === undefined ? {} : { ask }) };
        });
        assert.deepEqual(decodeAll(carrier.subarray(shift)), expected);
      }),
      { numRuns: 200 },
    );
  });

  it('reuses one buffer across batches (the generator path)', () => {
    const w = new TickBatchWriter(4096);
    w.begin(['A', 'BB'], false);
    assert.equal(w.capacity, Math.floor((4096 - 16) / 32));
    w.add(1, 10, 2, T);
    assert.deepEqual(decodeAll(w.finish()), [
      { type: 'tick', symbol: 'BB', price: 10, volume: 2, timestamp: T },
    ]);
    w.begin(['C']);
    assert.equal(decodeAll(w.finish()).length, 0);
    assert.throws(() => w.add(1, 1, 1, 1), RangeError);
  });

  it('refuses malformed frames with PRT_ERR_MALFORMED_FRAME', () => {
    const good = encodeTickBatch([{ type: 'tick', symbol: 'SYM0', price: 1, volume: 1, timestamp: T }]);
    const mutate = (f: (b: Uint8Array) => void, from = good) => {
      const b = from.slice();
      f(b);
      return b;
    };
    const cases: [string, Uint8Array, RegExp][] = [
      ['short', good.subarray(0, 8), /shorter than/],
      ['magic', mutate((b) => (b[0] = 0)), /magic/],
      ['version', mutate((b) => (b[2] = 9)), /version/],
      ['flags', mutate((b) => (b[3] = 6)), /flags/],
      ['reserved', mutate((b) => (b[10] = 1)), /reserved/],
      ['no table', mutate((b) => (b[8] = 0)), /symbol table/],
      ['empty symbol', mutate((b) => (b[12] = 0)), /empty/],
      ['table past end', mutate((b) => (b[12] = 200)), /truncated/],
      ['count too big', mutate((b) => (b[4] = 2)), /header says 2 records/],
      ['trailing bytes', Uint8Array.from([...good, 0]), /bytes; header says/],
    ];
    const r = new TickBatchReader();
    for (const [name, frame, re] of cases) {
      const p = r.read(frame);
      assert.equal(p?.code, 'PRT_ERR_MALFORMED_FRAME', name);
      assert.match(p.message, re, name);
    }
  });
});
