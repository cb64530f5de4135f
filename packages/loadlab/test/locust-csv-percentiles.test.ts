/** Item 7 of issue 14: with requests behind them, no Locust percentile column is N/A. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  locustHistoryCsv,
  locustStatsCsv,
  RequestStats,
  splitCsvLines,
  toScenarioResult,
} from '@tickstorm/loadlab';

test('stats and history CSVs fill 66%, 75%, 80%, 98%, 99.9%, 99.99% from the HdrHistograms', () => {
  const startUs = 1_000_000;
  const stats = new RequestStats({ startUs, startEpochMs: 1_732_280_000_000 });
  // 10,000 requests over 2 s, latencies 1..10,000 µs
  for (let i = 0; i < 10_000; i++)
    stats.record({
      type: 'GET',
      name: '/x',
      latencyUs: i + 1,
      ok: true,
      status: 200,
      error: null,
      bytes: 2,
      timeUs: startUs + i * 200,
    });
  stats.timeline.advance(startUs + 3_000_000);
  stats.timeline.finish();
  const r = toScenarioResult(stats, {
    scenario: 's',
    startedAt: 1_732_280_000_000,
    durationSec: 2,
    generator: { saturated: false, warnings: [] } as never,
  });
  const rows = splitCsvLines(locustStatsCsv(r)).map((l) => l.split(','));
  const header = rows[0];
  for (const row of rows.slice(1)) {
    for (const col of ['50%', '66%', '75%', '80%', '90%', '95%', '98%', '99%', '99.9%', '99.99%', '100%']) {
      const v = row[header.indexOf(col)];
      assert.notEqual(v, 'N/A', `${row[1]} ${col}`);
      assert.ok(Number(v) >= 0);
    }
    // 10,000 evenly spread µs latencies: 66% ≈ 6.6 ms, 99.9% ≈ 10 ms (rounded to whole ms, Locust's format)
    assert.equal(row[header.indexOf('66%')], '7');
    assert.equal(row[header.indexOf('99.9%')], '10');
  }
  const hist = splitCsvLines(locustHistoryCsv(r)).map((l) => l.split(','));
  const h = hist[0];
  const busy = hist.slice(1).filter((row) => Number(row[h.indexOf('Requests/s')]) > 0);
  assert.ok(busy.length >= 2);
  for (const row of busy)
    for (const col of ['66%', '75%', '80%', '90%', '98%', '99.9%', '99.99%'])
      assert.notEqual(row[h.indexOf(col)], 'N/A', `history ${col}`);
  assert.ok(r.latency_ms.p99 > 0);
});
