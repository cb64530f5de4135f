import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { httpStatusOf, TradingErrorCode } from '../src/errors.ts';
import {
  DEFAULT_METRIC_BATCH_LIMITS,
  InvalidMetricsError,
  MetricRecord,
  NO_LABELS,
  parseMetricBatch,
} from '../src/metrics-store/metric-record.ts';

const NOW = 1_732_280_000_000;

function problems(input: unknown, limits = DEFAULT_METRIC_BATCH_LIMITS): InvalidMetricsError {
  try {
    parseMetricBatch(input, NOW, limits);
  } catch (err) {
    assert.ok(err instanceof InvalidMetricsError);
    return err;
  }
  assert.fail('expected InvalidMetricsError');
}

describe('MetricRecord', () => {
  test('create (and the Python spelling `new`) fills defaults', () => {
    const r = MetricRecord.create('m', 1.5, { a: 'b' }, new Date(NOW));
    assert.deepEqual(r, { time: NOW, name: 'm', value: 1.5, labels: { a: 'b' } });
    const s = MetricRecord.new('m', 2);
    assert.equal(s.labels, NO_LABELS);
    assert.ok(Math.abs(s.time - Date.now()) < 60_000);
  });
});

describe('parseMetricBatch', () => {
  test('accepts a valid batch; timestamp is epoch seconds (float), default now', () => {
    const out = parseMetricBatch(
      [
        { name: 'ticks', value: 3, labels: { symbol: 'SYM0' }, timestamp: 1732280000.123 },
        { name: 'orders', value: -1.25 },
      ],
      NOW,
    );
    assert.equal(out.length, 2);
    assert.deepEqual(out[0].labels, { symbol: 'SYM0' });
    assert.ok(Math.abs(out[0].time - 1732280000123) < 1e-3);
    assert.deepEqual(out[1], { time: NOW, name: 'orders', value: -1.25, labels: NO_LABELS });
  });

  test('reports every problem at once, each with its field path', () => {
    const err = problems([
      { name: 'ok', value: 1 },
      { name: '', value: '3', labels: { a: 1, b: 'x' }, timestamp: 1732280000123, extra: true },
      null,
      [1, 2],
      { value: Number.POSITIVE_INFINITY, labels: [] },
      { name: 'bad\nname', value: 1, timestamp: 'yesterday' },
    ]);
    assert.equal(err.code, TradingErrorCode.INVALID_METRICS);
    assert.equal(httpStatusOf(err.code), 400);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      [
        '[1].extra',
        '[1].name',
        '[1].value',
        '[1].timestamp',
        '[1].labels.a',
        '[2]',
        '[3]',
        '[4].name',
        '[4].value',
        '[4].labels',
        '[5].name',
        '[5].timestamp',
      ],
    );
    assert.equal(err.issueCount, 12);
    assert.equal(err.field, '[1].extra');
    assert.match(err.issues[3].message, /milliseconds\?/);
    assert.match(err.message, /12 problems/);
    assert.match(err.message, /\[5\]\.timestamp/);
  });

  test('a body that is not an array, or too big, is one problem at $', () => {
    assert.deepEqual(problems({ name: 'x', value: 1 }).issues, [
      { path: '$', message: 'expected an array of metric records, got object' },
    ]);
    const limits = { ...DEFAULT_METRIC_BATCH_LIMITS, maxRecords: 2 };
    assert.match(problems([{}, {}, {}], limits).issues[0].message, /too many records: 3 > 2/);
  });

  test('label names and values with NUL or an unpaired surrogate are refused; paired ones pass', () => {
    // PostgreSQL's json column stores "\u0000" and "\ud800", but `labels->>'k'` then fails on
    // that row, and so does every label query over the table: one hostile row broke them all.
    const err = problems([
      { name: 'a', value: 1, labels: { k: 'x\u0000y' } },
      { name: 'b', value: 1, labels: { k: '\ud800' } },
      { name: 'c', value: 1, labels: { k: 'a\udc00' } },
      { name: 'd', value: 1, labels: { 'k\u0000': 'v' } },
    ]);
    assert.deepEqual(
      err.issues.map((i) => [i.path, i.message]),
      [
        ['[0].labels.k', 'must not contain NUL or an unpaired surrogate'],
        ['[1].labels.k', 'must not contain NUL or an unpaired surrogate'],
        ['[2].labels.k', 'must not contain NUL or an unpaired surrogate'],
        ['[3].labels', 'label names must not contain NUL or an unpaired surrogate'],
      ],
    );
    const ok = parseMetricBatch([{ name: 'e', value: 1, labels: { k: 'tab\there 😀 €' } }], NOW);
    assert.equal(ok[0].labels.k, 'tab\there 😀 €');
  });

  test('a name with an unpaired surrogate is refused (it would be stored as U+FFFD); a paired one passes', () => {
    const err = problems([
      { name: 'hx\ud800', value: 1 },
      { name: '\udc00hx', value: 1 },
    ]);
    assert.deepEqual(
      err.issues.map((i) => [i.path, i.message]),
      [
        ['[0].name', 'must not contain an unpaired surrogate'],
        ['[1].name', 'must not contain an unpaired surrogate'],
      ],
    );
    assert.equal(parseMetricBatch([{ name: 'hx.😀', value: 1 }], NOW)[0].name, 'hx.😀');
  });

  test('a long field or label name is cut in the issue path, not echoed whole', () => {
    const long = 'k'.repeat(500_000);
    const cut = `${'k'.repeat(61)}...`;
    const err = problems([
      { name: 'a', value: 1, [long]: 1 },
      { name: 'b', value: 1, labels: { [long]: 'v' } },
    ]);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      [`[0].${cut}`, `[1].labels.${cut}`],
    );
    assert.ok(err.message.length < 1_000, `message of ${err.message.length} characters`);
  });

  test('label limits and a bounded issue list with the true count', () => {
    const limits = { ...DEFAULT_METRIC_BATCH_LIMITS, maxLabels: 1, maxLabelValueLength: 3, maxIssues: 2 };
    const err = problems(
      [
        { name: 'a', value: 1, labels: { k: 'long', j: 'x' } },
        { name: 'b', value: 'x' },
      ],
      limits,
    );
    assert.equal(err.issueCount, 3);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['[0].labels', '[0].labels.k'],
    );
    assert.match(err.message, /and 1 more/);
  });
});
