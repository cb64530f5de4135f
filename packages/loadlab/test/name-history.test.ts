/**
 * Per-name seconds (--csv-full-history): two recording collectors whose raw seconds a third
 * merges give exactly the rows of one collector that recorded every request itself (counts,
 * percentiles, totals); names seen before stay with zeros in a quiet second; a reset starts
 * the names afresh.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordedScenario } from '@tickstorm/loadlab/testing';
import type { RequestEvent } from '../src/stats/events.ts';
import { mergeScenarioResults } from '../src/stats/merge-results.ts';
import { RequestStats } from '../src/stats/request-stats.ts';

const START_US = 1_000_000_000;
const START_MS = 1_700_000_000_000;

function ev(i: number, second: number): RequestEvent {
  const name = ['/a', '/b', '/c'][i % 3];
  return {
    type: i % 3 === 1 ? 'POST' : 'GET',
    name,
    latencyUs: 500 + ((i * 7919) % 40_000),
    ok: i % 5 !== 0,
    status: i % 5 !== 0 ? 200 : 500,
    error: i % 5 !== 0 ? null : 'HTTP 500',
    bytes: 10 + (i % 13),
    timeUs: START_US + second * 1e6 + ((i * 37) % 900_000),
  };
}

describe('per-name seconds', () => {
  it('merged from two reporters equal one collector over every request', () => {
    const single = new RequestStats({ startUs: START_US, startEpochMs: START_MS, fullHistory: true });
    const merged = new RequestStats({
      startUs: START_US,
      startEpochMs: START_MS,
      reporters: 2,
      fullHistory: true,
    });
    const threads = [0, 1].map(() => {
      const t = new RequestStats({ startUs: START_US, startEpochMs: START_MS, fullHistory: true });
      t.timeline.onRaw = (s) => merged.timeline.mergeRaw(s);
      return t;
    });
    let i = 0;
    // second 0: every name; second 1: /a and /b only (i % 3 != 2); second 2: nothing; second 3: all
    for (const second of [0, 1, 3]) {
      for (let n = 0; n < 300; n++, i++) {
        const e = ev(i, second);
        if (second === 1 && e.name === '/c') continue;
        single.record(e);
        threads[i % 2].record(e);
      }
    }
    single.timeline.finish();
    for (const t of threads) t.timeline.finish();
    merged.timeline.flush();
    const a = single.timeline.slices;
    const b = merged.timeline.slices;
    assert.equal(b.length, a.length);
    assert.deepEqual(b, a, 'every second, names included, is the same');
    assert.equal(a.length, 4);
    for (const s of a) {
      const names = s.names ?? [];
      assert.deepEqual(
        names.map((n) => `${n.name} ${n.type}`),
        ['/a GET', '/b POST', '/c GET'],
      );
      assert.equal(
        names.reduce((x, n) => x + n.requests, 0),
        s.requests,
      );
      assert.equal(
        names.reduce((x, n) => x + n.failures, 0),
        s.failures,
      );
      assert.equal(
        names.reduce((x, n) => x + n.total.requests, 0),
        s.total?.requests,
      );
      assert.equal(
        names.reduce((x, n) => x + n.total.failures, 0),
        s.total?.failures,
      );
    }
    const quiet = a[2].names ?? [];
    assert.ok(quiet.every((n) => n.requests === 0 && n.p50 === 0 && n.total.requests > 0));
    const c1 = (a[1].names ?? []).find((n) => n.name === '/c');
    assert.equal(c1?.requests, 0, '/c had no request in second 1, and keeps its row');
    const last = a.at(-1)?.names ?? [];
    for (const e of single.entries) {
      const n = last.find((x) => x.name === e.name && x.type === e.type);
      assert.equal(n?.total.requests, e.requests);
      assert.equal(n?.total.failures, e.failures);
      assert.equal(n?.total.max, e.latency.maxUs / 1000);
      assert.equal(n?.total.avgContentLength, e.bytes / e.requests);
    }
  });

  it('a reset starts the names afresh', () => {
    const s = new RequestStats({ startUs: START_US, startEpochMs: START_MS, fullHistory: true });
    s.record(ev(0, 0));
    s.timeline.advance(START_US + 1e6);
    s.resetEntries();
    s.record(ev(1, 1));
    s.timeline.finish();
    assert.deepEqual(
      s.timeline.slices.map((x) => (x.names ?? []).map((n) => `${n.name}:${n.total.requests}`)),
      [['/a:1'], ['/b:1']],
    );
    // the Aggregated totals restart with the names
    assert.deepEqual(
      s.timeline.slices.map((x) => x.total?.requests),
      [1, 1],
    );
  });

  it("tickstorm merge drops the parts' per-name rows (a part's names are not the whole's)", () => {
    const parts = [0, 1].map((k) => {
      const r = recordedScenario([900, 1200, 3000]);
      r.timeseries = r.timeseries.map((x) => ({
        ...x,
        names: [
          {
            type: 'GET',
            name: '/x',
            requests: x.requests,
            failures: 0,
            p50: x.p50,
            p95: x.p95,
            p99: x.p99,
            max: x.max,
            total: { requests: 3, failures: 0, p50: 1, mean: 1, min: 1, max: 3, avgContentLength: k },
          },
        ],
      }));
      return { source: `part-${k}.json`, result: r };
    });
    assert.ok(parts[0].result.timeseries.length > 0);
    const merged = mergeScenarioResults(parts);
    assert.ok(merged.timeseries.length > 0);
    for (const x of merged.timeseries) assert.equal(x.names, undefined);
  });
});
