/**
 * `tickstorm run SCRIPT --out prometheus=0` on two generator threads against a local target,
 * scraped as Prometheus would until the end: the last scrape's request-duration histogram
 * counts exactly the requests of the run (per request name, bucketed as the run's own
 * HdrHistograms in --json), and the script's checks, Counter, Rate, Trend and Gauge are there
 * with the run's figures, a Gauge its last value. Prometheus' linter (promtool check metrics) accepts the text.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  DURATION_BUCKETS_S,
  decodeSparse,
  type EncodedLatency,
  type EntryStats,
  gaugesFromCounters,
  hdrValueAt,
  type ScriptScenarioMetrics,
} from '@tickstorm/loadlab';
import { assertPromtoolAccepts, samples } from './support/prom-scrape.ts';
import { runScraped } from './support/scrape-run.ts';
import { scriptTarget } from './support/script-target.ts';

const fx = scriptTarget('tickstorm-prom-hist-');

/** The run's cumulative count at or below `boundUs` (a counter is bucketed by its lowest value). */
function countAtOrBelow(h: EncodedLatency, boundUs: number): number {
  const sp = decodeSparse(h);
  let n = 0;
  for (let k = 0; k < sp.idx.length; k++) if (hdrValueAt(sp.idx[k]) <= boundUs) n += sp.cnt[k];
  return n;
}

test('the last scrape of a script run: its histogram, checks and custom metrics are the run’s', async (t) => {
  const f = fx.script(
    'prom-hist.ts',
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter, Gauge, Rate, Trend } from 'tickstorm/metrics';
const placed = new Counter('orders.placed');
const okRate = new Rate('ok-rate');
const wait = new Trend('queue_wait', true);
const size = new Trend('payload_bytes');
const depth = new Gauge('queue.depth');
const change = new Trend('price_change');
export const options = {
  scenarios: {
    s: { executor: 'constant-arrival-rate', rate: 150, timeUnit: '1s', duration: '2s', preAllocatedVUs: 6 },
  },
};
export default async function (ctx: { iteration: number; vu: number }) {
  const path = (ctx.iteration + ctx.vu) % 3 === 0 ? '/b' : '/a';
  const res = await http.get('$URL' + path);
  check(res, { 'status is 200': (r) => r.status === 200, 'went to b': () => path === '/b' });
  placed.add(2);
  okRate.add(path === '/a');
  wait.add(((ctx.iteration * 7) % 40) * 0.9);
  size.add((ctx.iteration % 4) * 5);
  depth.add((ctx.iteration * 13) % 50);
  change.add((ctx.iteration % 3) - 1);
}
`,
  );
  const json = join(fx.dir, 'prom-hist.json');
  let child: ChildProcess | undefined;
  t.after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });
  const run = await runScraped(['run', f, '--workers', '2', '--out', 'prometheus=0', '--json', json], (c) => {
    child = c;
  });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.texts.length >= 2, 'scraped while it ran');
  const last = run.texts[run.texts.length - 1];
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    requests: number;
    scenarios: { requests: number; entries: EntryStats[]; generator: { droppedIterations: number } }[];
    scriptMetrics: { scenarios: ScriptScenarioMetrics[] };
  };
  const rows = samples(last);
  const pick = (name: string, labels: Record<string, string> = {}) =>
    rows.filter(
      (r) =>
        r.name === name && Object.entries({ scenario: 's', ...labels }).every(([k, v]) => r.labels[k] === v),
    );
  const one = (name: string, labels: Record<string, string> = {}) => {
    const found = pick(name, labels);
    assert.equal(found.length, 1, `${name} ${JSON.stringify(labels)}: ${found.length} series`);
    return found[0].value;
  };

  // the histogram: every request of the run, per request name
  const requests = report.scenarios[0].requests;
  // 300 planned on 6 VUs: a stall of the busy box finds them all busy and drops what fell due
  // meanwhile (counted), so the count is exact, not a share of 300
  const dropped = report.scenarios[0].generator.droppedIterations;
  assert.equal(requests + dropped, 300, `requests ${requests}, dropped ${dropped}`);
  assert.ok(requests > 0);
  assert.equal(requests, report.requests);
  const counts = pick('loadlab_request_duration_seconds_count');
  assert.deepEqual(counts.map((r) => r.labels.name).sort(), ['/a', '/b']);
  assert.equal(
    counts.reduce((a, r) => a + r.value, 0),
    requests,
    '_count adds up to the run’s requests',
  );
  assert.equal(one('loadlab_requests_total'), requests);
  for (const e of report.scenarios[0].entries) {
    const buckets = pick('loadlab_request_duration_seconds_bucket', { name: e.name });
    assert.deepEqual(
      buckets.map((b) => b.labels.le),
      [...DURATION_BUCKETS_S.map(String), '+Inf'],
    );
    for (let i = 1; i < buckets.length; i++)
      assert.ok(buckets[i].value >= buckets[i - 1].value, `${e.name}: cumulative, monotone`);
    const count = one('loadlab_request_duration_seconds_count', { name: e.name });
    assert.equal(buckets[buckets.length - 1].value, count, '+Inf is _count');
    assert.equal(count, e.requests);
    for (const [i, b] of DURATION_BUCKETS_S.entries())
      assert.equal(buckets[i].value, countAtOrBelow(e.histogram!, b * 1e6), `${e.name} le=${b}`);
    assert.equal(one('loadlab_request_duration_seconds_sum', { name: e.name }), e.histogram!.sumUs / 1e6);
  }

  // the script's figures, as the report counts them
  const c = report.scriptMetrics.scenarios[0].counters;
  assert.ok(c['check:went to b:pass'] > 0 && c['check:went to b:fail'] > 0);
  for (const check of ['status is 200', 'went to b'])
    for (const result of ['pass', 'fail'])
      assert.equal(
        one('loadlab_checks_total', { check, result }),
        c[`check:${check}:${result}`] ?? 0,
        `${check} ${result}`,
      );
  assert.equal(one('loadlab_script_orders_placed_total'), c['metric:counter:orders.placed']);
  assert.equal(one('loadlab_script_orders_placed_total'), 2 * requests);
  assert.equal(one('loadlab_script_ok_rate_total', { result: 'pass' }), c['metric:rate:ok-rate:pass']);
  assert.equal(
    one('loadlab_script_ok_rate_total', { result: 'fail' }),
    c['metric:rate:ok-rate:total'] - c['metric:rate:ok-rate:pass'],
  );
  const trend = report.scriptMetrics.scenarios[0].trends.queue_wait;
  assert.equal(one('loadlab_script_queue_wait_seconds_count'), trend.count);
  assert.equal(one('loadlab_script_queue_wait_seconds_bucket', { le: '+Inf' }), trend.count);
  assert.equal(one('loadlab_script_queue_wait_seconds_sum'), trend.sumUs / 1e6);
  assert.equal(
    one('loadlab_script_queue_wait_seconds_bucket', { le: '0.01' }),
    countAtOrBelow(trend, 10_000),
  );
  // a Trend without isTime (k6's default) holds plain numbers: no _seconds, values as added
  const plain = report.scriptMetrics.scenarios[0].trends.payload_bytes;
  assert.equal(one('loadlab_script_payload_bytes_count'), plain.count);
  assert.equal(one('loadlab_script_payload_bytes_sum'), plain.sumUs / 1e3);
  assert.equal(one('loadlab_script_payload_bytes_bucket', { le: '10' }), countAtOrBelow(plain, 10_000));
  assert.ok(countAtOrBelow(plain, 10_000) < plain.count, 'values above 10 exist');
  // a trend with negative samples (k6 takes them): kept as two histograms, exported as one,
  // each negative sample at or below every bound (so in the first bucket), its sum taken off
  const up = report.scriptMetrics.scenarios[0].trends.price_change;
  const down = report.scriptMetrics.scenarios[0].trends['price_change!neg'];
  assert.ok(up.count > 0 && down.count > 0, 'samples on both sides of 0');
  assert.equal(one('loadlab_script_price_change_count'), up.count + down.count);
  assert.equal(one('loadlab_script_price_change_sum'), (up.sumUs - down.sumUs) / 1e3);
  const first = Math.round(DURATION_BUCKETS_S[0] * 1e6) / 1e3;
  assert.equal(
    one('loadlab_script_price_change_bucket', { le: String(first) }),
    down.count + countAtOrBelow(up, first * 1000),
  );
  assert.doesNotMatch(last, /price_change_?neg/, 'no series of the negative part alone');
  assert.equal(
    last.includes('loadlab_script_payload_bytes_seconds'),
    false,
    'a plain trend has no _seconds family',
  );

  const gauge = gaugesFromCounters(c).get('queue.depth');
  assert.ok(gauge !== undefined, 'the report has the Gauge');
  assert.equal(one('loadlab_script_queue_depth'), gauge.value, 'the Gauge: the value added last');
  assertPromtoolAccepts(t, last);
});
