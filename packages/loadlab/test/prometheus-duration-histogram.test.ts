/**
 * The generator's request-duration histogram at /metrics, fed with each second's detail by a
 * real run (one generator thread): cumulative buckets that count exactly the requests the run
 * recorded, bucketed as the run's own HdrHistogram is (a latency on a bound counts at or below
 * it; the counter past 2.048 ms holds two µs values), names past the cap under "(other)", and
 * a text Prometheus' own linter accepts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DURATION_BUCKETS_S,
  decodeSparse,
  hdrValueAt,
  iterations,
  newRequestEvent,
  runScenario,
  startLoadMetricsServer,
} from '@tickstorm/loadlab';
import { promSamples } from '@tickstorm/loadlab/testing';
import { assertPromtoolAccepts } from './support/promtool.ts';

// µs latencies on and around bounds (0.5 ms exact, 2.5 ms within a 2-µs counter, 10 s and past it)
const LATENCIES_US = [1, 499, 500, 501, 1000, 2499, 2500, 2501, 2502, 9_999_999, 10_000_000, 10_300_000];

test('a run’s per-name histogram counts every request, bucketed as its HdrHistogram', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0, maxRequestNames: 2 });
  try {
    const names = ['/orders', '/book', '/x/1', '/x/2'];
    const outcome = await runScenario({
      name: 'hist',
      executor: { executor: 'per-vu-iterations', vus: 2, iterations: 24 },
      workers: 1,
      sliceDetail: true,
      onSlice: (slice, detail) => srv.observe('hist', slice, detail),
      script: iterations({
        iteration(it) {
          const ev = newRequestEvent('GET', names[it.n % names.length]);
          ev.latencyUs = LATENCIES_US[(it.n + it.vu) % LATENCIES_US.length];
          ev.ok = it.n % 5 !== 0;
          it.ctx.events.emit(ev);
        },
      }),
    });
    srv.finished('hist');
    const { result } = outcome;
    assert.equal(result.requests, 48);
    const rows = promSamples(srv.render());
    const series = (name: string, label: string) =>
      rows.filter((r) => r.name === name && r.labels.scenario === 'hist' && r.labels.name === label);
    // two names of their own (the cap), the other two under (other)
    const counted = rows.filter((r) => r.name === 'loadlab_request_duration_seconds_count');
    assert.deepEqual(counted.map((r) => r.labels.name).sort(), ['(other)', '/book', '/orders']);
    assert.equal(
      counted.reduce((a, r) => a + r.value, 0),
      result.requests,
      '_count adds up to the requests of the run',
    );
    const requestsTotal = rows.find((r) => r.name === 'loadlab_requests_total')?.value;
    assert.equal(requestsTotal, result.requests);
    // each name's buckets against the run's own histogram of that name (and the rest for (other))
    for (const label of ['/orders', '/book', '(other)']) {
      const entries = result.entries.filter((e) =>
        label === '(other)' ? !['/orders', '/book'].includes(e.name) : e.name === label,
      );
      assert.ok(entries.length > 0);
      const buckets = series('loadlab_request_duration_seconds_bucket', label);
      assert.deepEqual(
        buckets.map((b) => b.labels.le),
        [...DURATION_BUCKETS_S.map(String), '+Inf'],
      );
      for (let i = 0; i < buckets.length; i++) {
        const bound = i < DURATION_BUCKETS_S.length ? DURATION_BUCKETS_S[i] * 1e6 : Number.POSITIVE_INFINITY;
        let expected = 0;
        for (const e of entries) {
          const sp = decodeSparse(e.histogram!);
          for (let k = 0; k < sp.idx.length; k++) if (hdrValueAt(sp.idx[k]) <= bound) expected += sp.cnt[k];
        }
        assert.equal(buckets[i].value, expected, `${label} le=${buckets[i].labels.le}`);
        if (i > 0) assert.ok(buckets[i].value >= buckets[i - 1].value, 'cumulative');
      }
      const count = series('loadlab_request_duration_seconds_count', label)[0].value;
      const sum = series('loadlab_request_duration_seconds_sum', label)[0].value;
      assert.equal(buckets[buckets.length - 1].value, count, '+Inf is _count');
      assert.equal(
        count,
        entries.reduce((a, e) => a + e.requests, 0),
      );
      assert.equal(sum, entries.reduce((a, e) => a + e.histogram!.sumUs, 0) / 1e6);
    }
    // 500 µs is on the first bound; 501 µs is not (one-µs counters below 2.048 ms)
    const all = rows.filter((r) => r.name === 'loadlab_request_duration_seconds_bucket');
    const at = (le: string) => all.filter((r) => r.labels.le === le).reduce((a, r) => a + r.value, 0);
    const nAt = (pred: (us: number) => boolean) => {
      let n = 0;
      for (let vu = 0; vu < 2; vu++)
        for (let it = 0; it < 24; it++) if (pred(LATENCIES_US[(it + vu) % LATENCIES_US.length])) n++;
      return n;
    };
    assert.equal(
      at('0.0005'),
      nAt((us) => us <= 500),
    );
    assert.equal(
      at('10'),
      nAt((us) => us <= 10_000_000),
    );
    // 2501 µs shares the counter of 2500 µs: counted at or below 2.5 ms, as the HdrHistogram has it
    assert.equal(
      at('0.0025'),
      nAt((us) => us <= 2501),
    );
    assertPromtoolAccepts(t, srv.render());
  } finally {
    await srv.close({ wait: false });
  }
});

test('script figures: checks, Counter, Rate, Trend and Gauge series, names in Prometheus’ charset', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { t: 1, requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, active: 1 };
    // a Trend's HdrHistogram counters: 300 µs (index 300) x3, 20 ms x1 (its counter's index)
    const idx20ms = [...Array(23_552).keys()].find((i) => hdrValueAt(i) >= 20_000)!;
    const counters = {
      'check:status is "ok":pass': 5,
      'check:status is "ok":fail': 1,
      'metric:counter:orders.placed': 7,
      'metric:rate:ok-rate:pass': 4,
      'metric:rate:ok-rate:total': 6,
      'trend:queue.wait:300': 3,
      [`trend:queue.wait:${idx20ms}`]: 1,
      'trend:queue.wait:sum': 20_900,
      'metric:rate:checks:pass': 5, // k6's built-in rate of check(): loadlab_checks_total already
      'metric:rate:checks:total': 6,
      rowsWritten: 12, // a built-in scenario's counter: not a script metric
      // thresholds' submetrics (http_req_duration{status:200} and co): copies, not metrics
      'trend:sub:http_req_duration{status:200}:300': 3,
      'trend:sub:http_req_duration{status:200}:sum': 900,
      'metric:counter:sub:http_reqs{status:200}': 3,
      'metric:rate:sub:checks{check:login}:pass': 1,
      'metric:rate:sub:checks{check:login}:total': 1,
      // a Gauge on two threads (0 and 1): thread 1 added last (t), so its value is the gauge's
      'gauge:queue.depth:0:value': 40,
      'gauge:queue.depth:0:min': 3,
      'gauge:queue.depth:0:max': 41,
      'gauge:queue.depth:0:t': 1_000,
      'gauge:queue.depth:1:value': 12,
      'gauge:queue.depth:1:min': 12,
      'gauge:queue.depth:1:max': 12,
      'gauge:queue.depth:1:t': 1_500,
    };
    srv.observe('s', slice, { latency: [], counters });
    srv.observe('s', slice, { latency: [], counters: { 'metric:counter:orders.placed': 1 } });
    const gaugeBefore = promSamples(srv.render()).find((r) => r.name === 'loadlab_script_queue_depth')?.value;
    assert.equal(gaugeBefore, 12, 'the value added last, over both threads');
    // the next second's change on thread 0 (a later value, 7): each key's change, as CounterDeltas sends it
    srv.observe('s', slice, {
      latency: [],
      counters: { 'gauge:queue.depth:0:value': 7 - 40, 'gauge:queue.depth:0:t': 1_000 },
    });
    const text = srv.render();
    const rows = promSamples(text);
    const value = (name: string, labels: Record<string, string>) =>
      rows.find((r) => r.name === name && Object.entries(labels).every(([k, v]) => r.labels[k] === v))?.value;
    assert.equal(value('loadlab_checks_total', { check: 'status is "ok"', result: 'pass' }), 5);
    assert.equal(value('loadlab_checks_total', { check: 'status is "ok"', result: 'fail' }), 1);
    assert.equal(value('loadlab_script_orders_placed_total', { scenario: 's' }), 8);
    assert.equal(value('loadlab_script_ok_rate_total', { result: 'pass' }), 4);
    assert.equal(value('loadlab_script_ok_rate_total', { result: 'fail' }), 2);
    assert.equal(value('loadlab_script_queue_wait_seconds_bucket', { le: '0.0005' }), 3);
    assert.equal(value('loadlab_script_queue_wait_seconds_bucket', { le: '0.01' }), 3);
    assert.equal(value('loadlab_script_queue_wait_seconds_bucket', { le: '0.025' }), 4);
    assert.equal(value('loadlab_script_queue_wait_seconds_count', { scenario: 's' }), 4);
    assert.equal(value('loadlab_script_queue_wait_seconds_sum', { scenario: 's' }), 0.0209);
    assert.doesNotMatch(text, /rowsWritten|loadlab_script_checks|loadlab_script_sub_/);
    assert.match(text, /^# TYPE loadlab_script_queue_wait_seconds histogram$/m);
    assert.equal(value('loadlab_script_queue_depth', { scenario: 's' }), 7, 'thread 0 added last now');
    assert.match(text, /^# TYPE loadlab_script_queue_depth gauge$/m);
    assertPromtoolAccepts(t, text);
  } finally {
    await srv.close({ wait: false });
  }
});
