/**
 * /metrics content negotiation (wire/open-metrics.ts): Prometheus's Accept gets OpenMetrics
 * 1.0.0, anything else the text format; and the text format converted to OpenMetrics as its
 * 1.0 spec writes it (counter families without `_total`, an all-1 `_info` gauge as info,
 * `untyped` as unknown, HELP's `"` escaped, timestamps in seconds, no blank line, `# EOF`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefersOpenMetrics, toOpenMetrics } from '../src/wire/open-metrics.ts';

test('prefersOpenMetrics: Prometheus and an explicit OpenMetrics Accept, not a browser or curl', () => {
  const prometheus =
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
  assert.equal(prefersOpenMetrics(prometheus), true);
  assert.equal(prefersOpenMetrics('application/openmetrics-text'), true);
  assert.equal(prefersOpenMetrics('application/openmetrics-text; version="1.0.0"; charset=utf-8'), true);
  assert.equal(prefersOpenMetrics('text/plain;q=0.4, application/openmetrics-text;q=0.5'), true);
  for (const accept of [
    undefined,
    '',
    '*/*',
    'text/plain',
    'text/plain;version=0.0.4',
    'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'application/openmetrics-text;version=0.0.1', // a version not written here
    'application/openmetrics-text;q=0',
    'text/plain, application/openmetrics-text;q=0.9',
  ]) {
    assert.equal(prefersOpenMetrics(accept), false, String(accept));
  }
});

test('toOpenMetrics: every family type, as OpenMetrics 1.0 spells it', () => {
  const text = [
    '# HELP req_total Requests "served"',
    '# TYPE req_total counter',
    'req_total{path="/a b"} 3',
    '',
    '# HELP up_info Version',
    '# TYPE up_info gauge',
    'up_info{version="1"} 1',
    '',
    '# HELP level_info Not an info: not 1',
    '# TYPE level_info gauge',
    'level_info 2',
    '# HELP lat_seconds Latency',
    '# TYPE lat_seconds histogram',
    'lat_seconds_bucket{le="0.1"} 1',
    'lat_seconds_bucket{le="+Inf"} 2',
    'lat_seconds_sum 0.3',
    'lat_seconds_count 2',
    '# HELP q_seconds Quantiles',
    '# TYPE q_seconds summary',
    'q_seconds{quantile="0.5"} NaN',
    'q_seconds_sum 0',
    'q_seconds_count 0',
    '# HELP odd A counter without _total',
    '# TYPE odd counter',
    'odd 1',
    '# TYPE raw untyped',
    'raw{a="x} 5"} 7 1700000000123',
    '',
  ].join('\n');
  assert.equal(
    toOpenMetrics(text),
    [
      '# HELP req Requests \\"served\\"',
      '# TYPE req counter',
      'req_total{path="/a b"} 3',
      '# HELP up Version',
      '# TYPE up info',
      'up_info{version="1"} 1',
      '# HELP level_info Not an info: not 1',
      '# TYPE level_info gauge',
      'level_info 2',
      '# HELP lat_seconds Latency',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{le="0.1"} 1',
      'lat_seconds_bucket{le="+Inf"} 2',
      'lat_seconds_sum 0.3',
      'lat_seconds_count 2',
      '# HELP q_seconds Quantiles',
      '# TYPE q_seconds summary',
      'q_seconds{quantile="0.5"} NaN',
      'q_seconds_sum 0',
      'q_seconds_count 0',
      '# HELP odd A counter without _total',
      '# TYPE odd unknown',
      'odd 1',
      '# TYPE raw unknown',
      'raw{a="x} 5"} 7 1700000000.123',
      '# EOF',
      '',
    ].join('\n'),
  );
});
