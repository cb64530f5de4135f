/**
 * Bad input never kills an ingest connection: each bad tick or frame gets an error frame
 * with the right code, field and index, is counted as rejected with its reason, and the
 * same connection's next good tick is processed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeTickBatch, TickBatchWriter } from '@tickstorm/protocol';
import WebSocket from 'ws';
import type { MarketDataService } from '../src/market-data/ingest-server.ts';
import { MdClient, startTestService, tick } from './support/md-client.ts';

const T = 1_732_280_000.25;

/** [name, frame, code, field, index] */
const CASES: [string, string | object, string, string | undefined, number | undefined][] = [
  ['malformed JSON', '{"type":"tick","symbol":', 'PRT_ERR_MALFORMED_JSON', undefined, undefined],
  ['not an object', '42', 'PRT_ERR_INVALID_FIELD', undefined, undefined],
  ['unknown symbol', tick('NOPE', 1), 'PRT_ERR_UNKNOWN_SYMBOL', 'symbol', undefined],
  ['symbol not a string', { ...tick('SYM0', 1), symbol: 7 }, 'PRT_ERR_INVALID_FIELD', 'symbol', undefined],
  ['price as a string', { ...tick('SYM0', 1), price: '1.00' }, 'PRT_ERR_INVALID_FIELD', 'price', undefined],
  ['negative price', tick('SYM0', -1), 'PRT_ERR_NOT_POSITIVE', 'price', undefined],
  ['zero price', tick('SYM0', 0), 'PRT_ERR_NOT_POSITIVE', 'price', undefined],
  ['zero volume', tick('SYM0', 1, 0), 'PRT_ERR_NOT_POSITIVE', 'volume', undefined],
  ['negative volume', tick('SYM0', 1, -5), 'PRT_ERR_NOT_POSITIVE', 'volume', undefined],
  ['price off the tick grid', tick('SYM0', 100.005), 'PRT_ERR_PRICE_OFF_TICK', 'price', undefined],
  ['bid off the grid', tick('SYM0', 100, 1, T, { bid: 99.999 }), 'PRT_ERR_PRICE_OFF_TICK', 'bid', undefined],
  ['ask not a number', tick('SYM0', 100, 1, T, { ask: 'x' }), 'PRT_ERR_INVALID_FIELD', 'ask', undefined],
  [
    'missing price',
    { type: 'tick', symbol: 'SYM0', volume: 1, timestamp: T },
    'PRT_ERR_MISSING_FIELD',
    'price',
    undefined,
  ],
  [
    'missing timestamp',
    { type: 'tick', symbol: 'SYM0', price: 1, volume: 1 },
    'PRT_ERR_MISSING_FIELD',
    'timestamp',
    undefined,
  ],
  [
    'missing type',
    { symbol: 'SYM0', price: 1, volume: 1, timestamp: T },
    'PRT_ERR_MISSING_FIELD',
    'type',
    undefined,
  ],
  ['unknown type', { ...tick('SYM0', 1), type: 'quote' }, 'PRT_ERR_INVALID_FIELD', 'type', undefined],
  ['volume beyond 2^53', tick('SYM0', 1, 1e308), 'PRT_ERR_OUT_OF_RANGE', 'volume', undefined],
  ['timestamp in milliseconds', tick('SYM0', 1, 1, T * 1000), 'PRT_ERR_OUT_OF_RANGE', 'timestamp', undefined],
  [
    'bad tick in an array',
    [tick('SYM0', 1), tick('SYM0', 1), tick('SYM0', 1), tick('SYM0', -2), tick('SYM0', 1)],
    'PRT_ERR_NOT_POSITIVE',
    'price',
    3,
  ],
  ['binary: bad magic', new Uint8Array(16), 'PRT_ERR_MALFORMED_FRAME', undefined, undefined],
  [
    'binary: truncated',
    encodeTickBatch([tick('SYM0', 1) as never]).subarray(0, 40),
    'PRT_ERR_MALFORMED_FRAME',
    undefined,
    undefined,
  ],
  [
    'binary: unknown symbol',
    encodeTickBatch([tick('SYM0', 1), tick('ZZZ', 1)] as never),
    'PRT_ERR_UNKNOWN_SYMBOL',
    'symbol',
    1,
  ],
  [
    'binary: NaN price',
    encodeTickBatch([tick('SYM0', Number.NaN)] as never),
    'PRT_ERR_NOT_FINITE',
    'price',
    0,
  ],
];

describe('market-data bad input', () => {
  let md: MarketDataService;
  let c: MdClient;

  before(async () => {
    md = (await startTestService({ maxFrameBytes: 4096 })).md;
    c = await MdClient.open(MdClient.url(md));
  });
  after(async () => {
    await c.close();
    await md.close();
  });

  for (const [name, frame, code, field, index] of CASES) {
    it(`${name} -> ${code}${field ? ` (${field})` : ''}, then a good tick still counts`, async () => {
      const before = await c.sync();
      c.errors.length = 0;
      c.send(frame);
      c.send(tick('SYM1', 12.34));
      const ack = await c.sync();
      assert.equal(c.errors.length, 1, JSON.stringify(c.errors));
      const e = c.errors[0];
      assert.equal(e.code, code);
      assert.equal(e.field, field);
      assert.equal(e.index, index);
      assert.ok(e.message.length > 0);
      const good = Array.isArray(frame)
        ? frame.length - 1
        : frame instanceof Uint8Array && index === 1
          ? 1
          : 0;
      assert.equal(ack.rejected - before.rejected, 1);
      assert.equal(ack.processed - before.processed, good + 1);
      assert.equal(ack.received - before.received, good + 2);
      assert.equal(md.state.lastPrice[md.state.instruments.get('SYM1').index], 12.34);
    });
  }

  it('answers an oversized text or binary frame with PRT_ERR_FRAME_TOO_LARGE and stays open', async () => {
    c.errors.length = 0;
    const before = await c.sync();
    c.send(Array.from({ length: 100 }, () => tick('SYM0', 1)));
    const w = new TickBatchWriter(8192);
    w.begin(['SYM0']);
    for (let i = 0; i < 200; i++) w.add(0, 1, 1, T);
    c.send(w.finish());
    c.send(tick('SYM1', 1));
    const ack = await c.sync();
    assert.deepEqual(
      c.errors.map((e) => e.code),
      ['PRT_ERR_FRAME_TOO_LARGE', 'PRT_ERR_FRAME_TOO_LARGE'],
    );
    assert.deepEqual([ack.received - before.received, ack.rejected - before.rejected], [3, 2]);
  });

  it('a symbol one case away from an instrument is named in the message (text, binary, /symbols)', async () => {
    c.errors.length = 0;
    c.send(tick('sym0', 1));
    c.send(encodeTickBatch([tick('Sym1', 1)] as never));
    c.send(tick('NOPE', 1));
    await c.sync();
    assert.deepEqual(
      c.errors.map((e) => e.message),
      [
        'unknown symbol "sym0" (symbols are case-sensitive: "SYM0")',
        'unknown symbol "Sym1" (symbols are case-sensitive: "SYM1")',
        'unknown symbol "NOPE"',
      ],
    );
    const r = await fetch(`${MdClient.url(md).replace('ws', 'http').replace('/stream', '')}/symbols/sym0`);
    const body = (await r.json()) as { error: { message: string } };
    assert.deepEqual(
      [r.status, body.error.message],
      [404, 'unknown symbol "sym0" (symbols are case-sensitive: "SYM0")'],
    );
  });

  it('counts rejections by reason in stats', () => {
    const s = md.stats();
    assert.equal(s.rejectedByReason.PRT_ERR_NOT_POSITIVE, 5);
    assert.equal(s.rejectedByReason.PRT_ERR_FRAME_TOO_LARGE, 2);
    const total = Object.values(s.rejectedByReason).reduce((a, b) => a + b, 0);
    assert.equal(total, s.ticksRejected);
    assert.equal(s.ticksReceived, s.ticksProcessed + s.ticksRejected);
    assert.equal(s.errorFramesSent, s.ticksRejected);
  });

  it('answers at most 100 rejections of one frame one by one; one PRT_ERR_TOO_MANY_ERRORS frame counts the rest', async () => {
    const s = await startTestService();
    const k = await MdClient.open(MdClient.url(s.md));
    try {
      // A binary batch of 32,000 bad ticks used to be answered with 32,000 frames (half a second
      // of the event loop); and a JSON array whose rejections have two codes.
      const w = new TickBatchWriter(1 << 20);
      w.begin(['SYM0']);
      for (let i = 0; i < 32_000; i++) w.add(0, -1, 1, T);
      k.send(w.finish());
      const mixed = Array.from({ length: 150 }, (_, i) =>
        i < 120 ? tick('SYM0', -1) : tick('SYM0', 100.005),
      );
      k.send([...mixed, tick('SYM1', 7)]);
      const ack = await k.sync();
      assert.deepEqual([ack.received, ack.processed, ack.rejected], [32_151, 1, 32_150]);
      const summaries = k.errors.filter((e) => e.code === 'PRT_ERR_TOO_MANY_ERRORS') as unknown as {
        count: number;
        codes: Record<string, number>;
      }[];
      assert.equal(k.errors.length, 202);
      assert.deepEqual(
        summaries.map((e) => [e.count, e.codes]),
        [
          [31_900, { PRT_ERR_NOT_POSITIVE: 31_900 }],
          [50, { PRT_ERR_NOT_POSITIVE: 20, PRT_ERR_PRICE_OFF_TICK: 30 }],
        ],
      );
      // The frame each is answered by comes last, after that frame's first 100 rejections.
      assert.equal(k.errors[100].code, 'PRT_ERR_TOO_MANY_ERRORS');
      assert.equal(k.errors[99].index, 99);
      assert.equal(k.errors[201].code, 'PRT_ERR_TOO_MANY_ERRORS');
      assert.equal(s.md.stats().rejectedByReason.PRT_ERR_NOT_POSITIVE, 32_120);
      assert.equal(s.md.stats().rejectedByReason.PRT_ERR_PRICE_OFF_TICK, 30);
      assert.equal(s.md.state.lastPrice[s.md.state.instruments.get('SYM1').index], 7);
    } finally {
      await k.close();
      await s.md.close();
    }
  });

  it('closes (1009) only beyond the ws protocol limit', async () => {
    const s = await startTestService({ maxFrameBytes: 1024, maxPayloadBytes: 2048 });
    const k = await MdClient.open(MdClient.url(s.md));
    const closed = new Promise<number>((resolve) => k.ws.once('close', (code) => resolve(code)));
    k.send('x'.repeat(4096));
    assert.equal(await closed, 1009);
    await s.md.close();
  });

  it('refuses WebSocket upgrades on other paths with a coded 404', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${md.port}/nope`);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.once('unexpected-response', (_req, r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      ws.once('open', () => reject(new Error('upgrade accepted')));
    });
    assert.equal(res.status, 404);
    assert.equal(JSON.parse(res.body).error.code, 'TRD_ERR_NOT_FOUND');
  });
});
