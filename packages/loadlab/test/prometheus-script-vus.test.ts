/**
 * k6's vus and vus_max of a script on the generator's /metrics: each second's changes
 * (`vus:d:SECOND`, `vus:end:SECOND`, script/vus-series.ts) summed since the start are the
 * gauges loadlab_script_vus{scenario} and loadlab_script_vus_max{scenario}; a request phase
 * (http_req_waiting) is a histogram in seconds like any Trend of times.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLoadMetricsServer } from '@tickstorm/loadlab';
import { promSamples } from '@tickstorm/loadlab/testing';
import { assertPromtoolAccepts } from './support/promtool.ts';

test('vus and vus_max are gauges of the scenario’s VUs now; http_req_waiting is loadlab_script_http_req_waiting_seconds', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = (s: number) => ({
      t: s,
      requests: 0,
      failures: 0,
      p50: 0,
      p95: 0,
      p99: 0,
      max: 0,
      active: 1,
    });
    const value = (name: string) => promSamples(srv.render()).find((r) => r.name === name)?.value;
    // second 100: 0 active of 4 allocated; second 101: 3 active (a ramp); the waiting of 2 requests
    srv.observe('s', slice(100), {
      latency: [],
      counters: {
        'vus:d:100': 0,
        'vus_max:d:100': 4,
        'trend:http_req_waiting:300': 2,
        'trend:http_req_waiting:sum': 600,
      },
    });
    srv.observe('s', slice(101), { latency: [], counters: { 'vus:d:101': 3 } });
    assert.equal(value('loadlab_script_vus'), 3);
    assert.equal(value('loadlab_script_vus_max'), 4);
    assert.equal(value('loadlab_script_http_req_waiting_seconds_count'), 2);
    assertPromtoolAccepts(t, srv.render());
    // the scenario ended: its VUs are taken off
    srv.observe('s', slice(102), { latency: [], counters: { 'vus:end:103': -3, 'vus_max:end:103': -4 } });
    assert.equal(value('loadlab_script_vus'), 0);
    assert.equal(value('loadlab_script_vus_max'), 0);
  } finally {
    await srv.close({ wait: false });
  }
});
