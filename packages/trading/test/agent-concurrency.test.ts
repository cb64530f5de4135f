/**
 * Concurrent cold requests share one store read:
 * - 50 concurrent GET /api/data/:symbol/bars for one symbol (real sockets, port 0) while the
 *   stored bars are not cached yet: one store query, every answer completed from it;
 * - concurrent system health checks after the store probe's cache expired: one `SELECT 1`.
 * The store is a fake held on a promise the test resolves once every request is waiting.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { Agent, fetch } from 'undici';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { SystemHealth } from '../src/api/service-health.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { BarHistory } from '../src/market-data/bar-history.ts';
import { MarketState } from '../src/market-data/market-state.ts';
import { deferred, T0 } from './support/agent-fixture.ts';
import { isKnownSymbol } from './support/api-fixtures.ts';
import type { Json } from './support/trading-fixture.ts';

const N = 50;

/** Counts the requests that reached the history (all of them waiting once the count is N). */
class CountingHistory extends BarHistory {
  entered = 0;
  readonly allEntered = deferred();
  override before(symbol: string, before: number, count: number) {
    if (++this.entered === N) this.allEntered.resolve();
    return super.before(symbol, before, count);
  }
}

describe('bar history: concurrent cold requests share one store query', () => {
  const instruments = new InstrumentTable();
  const bus = new InProcessBus();
  const client = new Agent({ connections: N + 4 });
  let api: ApiService | undefined;
  after(async () => {
    await client.close();
    await api?.close();
    bus.close();
  });

  test(`${N} concurrent requests for one symbol -> 1 store query`, async () => {
    const rows = deferred<Record<string, unknown>[]>();
    let calls = 0;
    const history = new CountingHistory(() => {
      calls++;
      return rows.promise;
    }, 1440);
    api = await startApiService({
      bus,
      isKnownSymbol,
      port: 0,
      systemSampleMs: 60_000,
      agents: { deps: { instruments, market: new MarketState(instruments), history } },
    });
    const url = `${api.url}/api/data/SYM1/bars?interval=1m&limit=3`;
    const answers = Array.from({ length: N }, () =>
      fetch(url, { dispatcher: client }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Json,
      })),
    );
    await history.allEntered.promise;
    // Newest first, as the query orders them.
    rows.resolve(
      [3, 2, 1].map((i) => ({ t: (T0 + 60 * i) * 1000, c: i, o: '1', h: '1', l: '1', v: '1', n: '1' })),
    );
    for (const a of await Promise.all(answers)) {
      assert.equal(a.status, 200, JSON.stringify(a.body));
      assert.deepEqual(a.body.source, { memory: 0, store: 3 });
      assert.deepEqual(
        a.body.bars.map((b: { close: number }) => b.close),
        [1, 2, 3],
      );
    }
    assert.equal(calls, 1, 'one store query for all of them');
    assert.equal(history.queries, 1);
    const later = await fetch(url, { dispatcher: client });
    assert.equal(later.status, 200);
    await later.arrayBuffer();
    assert.equal(calls, 1, 'later requests use the cached answer');
  });

  test('a failed shared read fails every waiter once; the next request reads again', async () => {
    const gate = deferred();
    let calls = 0;
    const history = new BarHistory(async () => {
      calls++;
      await gate.promise;
      if (calls === 1) throw new Error('store down');
      return [];
    }, 10);
    const waiting = [history.before('SYM2', 100, 5), history.before('SYM2', 100, 5)];
    gate.resolve();
    for (const w of waiting) await assert.rejects(w, /store down/);
    assert.equal(calls, 1);
    assert.deepEqual(await history.before('SYM2', 100, 5), []);
    assert.equal(calls, 2);
  });
});

describe('system health: concurrent checks share one store probe', () => {
  test('10 checks while the probe runs -> 1 SELECT 1; once it ended, the next 10 -> 1 more', async () => {
    let probes = 0;
    let gate = deferred();
    let arrived = 0;
    let allArrived = deferred();
    const health = new SystemHealth({
      storeCacheMs: 0,
      // Called by each check just before it asks for the store, in the same synchronous run.
      api: () => {
        if (++arrived === 10) allArrived.resolve();
        return { status: 'ok' };
      },
      store: async () => {
        probes++;
        await gate.promise;
      },
    });
    for (let round = 1; round <= 2; round++) {
      const checks = Array.from({ length: 10 }, () => health.report());
      await allArrived.promise;
      gate.resolve();
      const reports = await Promise.all(checks);
      for (const r of reports) assert.equal(r.store.status, 'ok');
      assert.equal(probes, round, `round ${round}: one probe shared by the 10 checks`);
      gate = deferred();
      arrived = 0;
      allArrived = deferred();
    }
  });
});
