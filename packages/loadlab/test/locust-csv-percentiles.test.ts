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

test("history rows fill Locust's Total Median, Average, Min and Average Content Size (cumulative)", () => {
  const startUs = 1_000_000;
  const stats = new RequestStats({ startUs, startEpochMs: 1_732_280_000_000 });
  // second 0: latencies 1..5,000 µs, 2 bytes each; second 1: 5,001..10,000 µs, 4 bytes each
  for (let i = 0; i < 10_000; i++)
    stats.record({
      type: 'GET',
      name: '/x',
      latencyUs: i + 1,
      ok: true,
      status: 200,
      error: null,
      bytes: i < 5000 ? 2 : 4,
      timeUs: startUs + i * 200,
    });
  stats.timeline.finish();
  const r = toScenarioResult(stats, {
    scenario: 's',
    startedAt: 1_732_280_000_000,
    durationSec: 2,
    generator: { saturated: false, warnings: [] } as never,
  });
  const [h, ...rows] = splitCsvLines(locustHistoryCsv(r)).map((l) => l.split(','));
  const col = (row: string[], name: string) => row[h.indexOf(name)];
  assert.equal(rows.length, 2);
  assert.deepEqual(
    rows.map((row) =>
      [
        'Total Request Count',
        'Total Median Response Time',
        'Total Average Response Time',
        'Total Min Response Time',
        'Total Max Response Time',
        'Total Average Content Size',
      ].map((c) => col(row, c)),
    ),
    [
      ['5000', '3', '2.501', '0.001', '5.0', '2.0'],
      ['10000', '5', '5.001', '0.001', '10.0', '3.0'],
    ],
  );
});
