import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderSampleResults } from '@tickstorm/loadlab';
import {
  buildRunReport,
  dbThroughput,
  handScenario,
  marketDataFlood,
  orderStress,
  wsConcurrency,
} from '@tickstorm/loadlab/testing';
import {
  type BenchRow,
  criticalPathRows,
  renderConsoleReport,
  renderScenarioBlock,
  renderTargetTables,
  throughputRows,
} from '../src/index.ts';

const BENCH: BenchRow[] = [
  {
    id: 'order_creation',
    name: 'Order creation',
    p50_ns: 38,
    p99_ns: 95,
    target_ns: 100,
    pass: true,
    measure: 'p50',
  },
  {
    id: 'order_book_update',
    name: 'OrderBook update',
    p50_ns: 120,
    p99_ns: 640,
    target_ns: 500,
    pass: false,
    measure: 'p99',
  },
  { id: 'risk_check', name: 'Risk check', p50_ns: null, p99_ns: null, target_ns: 1000, pass: null },
];

describe('console results', () => {
  it('prints the order stress block', () => {
    assert.equal(
      renderScenarioBlock({ ...handScenario(), targets: [] }),
      [
        '=== Order Stress Test Results ===',
        'Total orders: 150',
        'Successful: 147 (98.0%)',
        'Failed: 3 (2.0%)',
        'Throughput: 15.00 orders/sec',
        '',
        'Latency Stats:',
        '  P50: 10.40 ms',
        '  P95: 25.60 ms',
        '  P99: 40.00 ms',
        '  Max: 55.00 ms',
      ].join('\n'),
    );
  });

  it('prints the per-scenario extras of the other three scenarios', () => {
    const md = renderScenarioBlock(marketDataFlood());
    assert.match(
      md,
      /^=== Market Data Flood Test Results ===\nTotal ticks generated: 10,000\nAverage rate: 1000\.00 ticks\/sec\n/,
    );
    const db = renderScenarioBlock(dbThroughput());
    assert.match(
      db,
      /^=== Database Throughput Test Results ===\nTotal records: 100,000\nBatch size: 1000\nTotal batches: 100\n/,
    );
    assert.match(db, /\nThroughput: \d+ records\/sec \([\d,]+ records in [\d.]+ s\)/);
    assert.doesNotMatch(db, /Average: .*records\/sec/);
    const ws = renderScenarioBlock(wsConcurrency());
    assert.match(
      ws,
      /^=== WebSocket Concurrency Test Results ===\nConcurrent clients: 100\nTotal messages: 5,000\nMessages\/client: 50\nAverage latency: \d+\.\d\d ms\n/,
    );
    assert.match(ws, /Targets:\n {2}✅ P95 message latency: [\d.]+ ms \(target < 100 ms\)/);
  });

  it('prints the Sample Results table with an Aggregated row', () => {
    const lines = renderSampleResults(handScenario()).split('\n');
    assert.match(lines[0], /^Type +Name +# reqs +# fails +Avg +Min +Max +Med \| +req\/s +failures\/s$/);
    assert.match(lines[1], /^-{8} -+ -{8} -{8} -{7} -{7} -{7} -{7} \| -{7} -{11}$/);
    assert.match(lines[2], /^GET +\/book\/SYM0,depth=5 +50 +1 +10 +2\.00 +30 +9\.60 \| +5\.00 +0\.10$/);
    assert.match(lines[3], /^POST +\/orders +100 +2 +12 +1\.50 +55 +10 \| +10\.00 +0\.20$/);
    assert.equal(lines[4], lines[1]);
    assert.match(lines[5], /^ {9}Aggregated +150 +3 +12 +1\.50 +55 +10 \| +15\.00 +0\.30$/);
  });

  it('fills the two Performance Targets tables', () => {
    const report = buildRunReport([marketDataFlood(), orderStress(), dbThroughput(), wsConcurrency()]);
    const crit = criticalPathRows(report, BENCH);
    assert.deepEqual(
      crit.map((r) => [r.operation, r.target, r.pass]),
      [
        ['Order creation', '<100ns', true],
        ['OrderBook update', '<500ns', false],
        ['Risk check', '<1μs', null],
        ['Order routing', '<100μs', null],
        ['Database insert (1k batch)', '<50ms', true],
        ['API latency (P95)', '<10ms', true],
        ['WebSocket latency (P95)', '<50ms', true],
      ],
    );
    assert.equal(crit[0].current, '38ns (p50)');
    assert.equal(crit[1].current, '640ns (p99)');
    assert.equal(crit[2].current, 'n/a');
    const thr = throughputRows(report);
    assert.deepEqual(
      thr.map((r) => [r.operation, r.target, r.current, r.pass]),
      [
        ['Market data ticks/sec', '100,000+', '1,000', false],
        ['Orders/sec', '1,000+', '298', false],
        ['Database writes/sec', '10,000+', '10,000', true],
        ['API requests/min', '10,000+', '17,898', true],
        ['WebSocket clients', '100+', '100 (100 receiving)', true],
      ],
    );
    // Rates are met within 1% of the floor, like the scenarios' own rate targets.
    const near = marketDataFlood();
    near.extra = { ...near.extra, ticksProcessedPerSec: 99_990 };
    assert.equal(throughputRows(buildRunReport([near]))[0].pass, true);
    near.extra = { ...near.extra, ticksProcessedPerSec: 98_900 };
    assert.equal(throughputRows(buildRunReport([near]))[0].pass, false);
    const md = renderTargetTables(report, BENCH).split('\n');
    assert.equal(md[0], '### Critical Path Targets');
    assert.match(md[2], /^\| Operation +\| Target \| Current +\| Status \|$/);
    assert.match(md[3], /^\|-+\|-+\|-+\|-+\|$/);
    assert.ok(md.some((l) => /^\| Order creation +\| <100ns +\| 38ns \(p50\) +\| ✅ +\|$/.test(l)));
    assert.ok(md.some((l) => /^\| Risk check +\| <1μs +\| n\/a +\| ⏳ +\|$/.test(l)));
    assert.ok(md.includes('### Throughput Targets'));
    assert.ok(md.some((l) => /^\| Component +\| Target +\| Current +\| Status \|$/.test(l)));
    assert.ok(md.some((l) => /^\| Orders\/sec +\| 1,000\+ +\| 298 +\| ❌ +\|$/.test(l)));
  });

  it('shows n/a and ⏳ for everything a run did not measure', () => {
    const report = buildRunReport([orderStress()]);
    const rows = [...criticalPathRows(report), ...throughputRows(report)];
    const unmeasured = rows.filter((r) => r.pass === null).map((r) => r.operation);
    assert.deepEqual(unmeasured, [
      'Order creation',
      'OrderBook update',
      'Risk check',
      'Order routing',
      'Database insert (1k batch)',
      'WebSocket latency (P95)',
      'Market data ticks/sec',
      'Database writes/sec',
      'WebSocket clients',
    ]);
    assert.ok(rows.filter((r) => r.pass === null).every((r) => r.current === 'n/a'));
  });

  it('the whole report holds blocks, tables and thresholds', () => {
    const report = buildRunReport([orderStress()]);
    report.thresholds = [
      { expression: 'p95<100ms', metric: 'p95{scenario:order-stress}', actual: 4.2, pass: true },
    ];
    const text = renderConsoleReport(report);
    assert.match(text, /=== Order Stress Test Results ===/);
    assert.match(text, /Aggregated/);
    assert.match(text, /### Throughput Targets/);
    assert.match(text, /Thresholds:\n {2}✅ p95<100ms {2}\(p95\{scenario:order-stress\} = 4\.20 ms\)/);
  });
});
