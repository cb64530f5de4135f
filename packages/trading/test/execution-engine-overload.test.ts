/**
 * Admission control (docs/spec.md: `503` with `Retry-After` under overload; ABC_MAX_CONCURRENT_REQUESTS):
 * with maxInFlight 1, an order waiting for its input-log batch to be written (group commit)
 * makes the next one answer 503. To make "waiting for the log" deterministic the shard's
 * flush is held by the test (the shard's own `flush` shadowed on the instance, then restored):
 * without fsync the real flush completes within the event-loop turn that matched the order
 * (orders/turn-commit.ts), so only requests arriving in that same turn could see it in flight.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LocalShard } from '../src/routing/local-shard.ts';
import { codedError, type Fixture, order, pollUntil, startFixture } from './support/trading-fixture.ts';

/** Holds every flush of `shard` until the returned function is called (which also restores it). */
function holdFlushes(shard: LocalShard): () => void {
  const real = shard.flush;
  let release!: () => void;
  const held = new Promise<void>((r) => {
    release = r;
  });
  shard.flush = () => held;
  return () => {
    shard.flush = real;
    release();
  };
}

describe('execution-engine overload: 503 + Retry-After beyond maxInFlight', () => {
  let f: Fixture;
  let ex: string;
  before(async () => {
    f = await startFixture({ maxInFlight: 1, services: ['execution-engine'] });
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  test('the second order while one waits for the log is refused with 503; both recover', async () => {
    const shard = f.sys.core!.router.shards[0];
    const release = holdFlushes(shard);
    let first: Promise<{ status: number; body: { id: string; status: string } }>;
    try {
      first = f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'limit', 5, 100));
      await pollUntil('the first order in flight', async () => {
        const h = await f.http.get(`${ex}/health`);
        return h.body.ordersInFlight === 1 ? true : undefined;
      });
      const second = await f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'limit', 5, 99));
      assert.equal(second.status, 503);
      assert.equal(second.headers.get('retry-after'), '1');
      assert.equal(codedError(second).code, 'TRD_ERR_OVERLOADED');
      const stats = await f.http.get(`${ex}/stats`);
      assert.equal(stats.body.rejectedByReason.OVERLOADED, 1);
    } finally {
      release();
    }
    const answered = await first;
    assert.equal(answered.status, 201, 'the held order is answered once its batch is written');
    assert.equal(answered.body.status, 'new');
    const third = await f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'limit', 5, 98));
    assert.equal(third.status, 201);
    const book = await f.http.get(`${ex}/book/AMZN`);
    assert.deepEqual(
      book.body.bids.map((l: { price: number }) => l.price),
      [100, 98],
      'the refused order never reached the book',
    );
    assert.equal((await f.http.get(`${ex}/health`)).body.ordersInFlight, 0);
  });
});

describe('execution-engine overload: shedding by the measured wait (guards/load-shed.ts)', () => {
  let f: Fixture;
  let ex: string;
  // The shedder's clock, driven by the test: "the loop is N ms past the probe's due time".
  let clock = 0;
  before(async () => {
    f = await startFixture({
      services: ['execution-engine'],
      loadShed: { manual: true, now: () => clock, maxQueueMs: 100 },
    });
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  test('orders read past maxQueueMs get 503 + Retry-After before fastify parses them; other routes and, once on time, orders are served', async () => {
    clock = 10_000; // far past the first probe's due time
    const refused = await f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'limit', 5, 100));
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '1');
    assert.equal(codedError(refused).code, 'TRD_ERR_OVERLOADED');
    // Not even parsed: a body that is not JSON gets the same answer, not a 400.
    const raw = await fetch(`${ex}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(raw.status, 503);
    await raw.arrayBuffer();
    const listed = await f.http.get(`${ex}/orders`);
    assert.equal(listed.status, 200, 'only POST /orders is shed');
    const stats = await f.http.get(`${ex}/stats`);
    assert.equal(stats.body.rejectedByReason.OVERLOADED, 2);
    assert.equal(f.sys.loadShed?.shedLate, 2);
    // Prometheus: the refusals are orders answered too, rejected, of a type never read
    const text = await (await fetch(`${ex}/metrics`)).text();
    assert.match(text, /^tickstorm_orders_total\{type="unknown",status="rejected"\} 2$/m);

    f.sys.loadShed?.probe(); // the probe runs: on time from now on
    const taken = await f.http.post(`${ex}/orders`, order('AMZN', 'buy', 'limit', 5, 100));
    assert.equal(taken.status, 201);
  });
});
