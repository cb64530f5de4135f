/**
 * loadlab_checks_total cannot grow without bound: a script naming its checks by ID (one name
 * per order) keeps its first 100 check names apart per scenario and adds every later one under
 * check="(other)", as the request-duration histogram does with request names. Nothing is lost
 * (the passes and fails add up), a name that had its own series keeps it, and Prometheus's
 * linter accepts the text.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLoadMetricsServer } from '@tickstorm/loadlab';
import { promSamples } from '@tickstorm/loadlab/testing';
import { assertPromtoolAccepts } from './support/promtool.ts';

test('check names by ID: 100 series and (other) per scenario; every pass and fail counted', async (t) => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { t: 1, requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, active: 1 };
    const counters: Record<string, number> = {};
    for (let i = 0; i < 150; i++) {
      counters[`check:order ${i} filled:pass`] = 2;
      counters[`check:order ${i} filled:fail`] = 1;
    }
    srv.observe('s', slice, { latency: [], counters });
    // the next second: an early name again, and a new one
    srv.observe('s', slice, {
      latency: [],
      counters: { 'check:order 0 filled:pass': 1, 'check:order 999 filled:fail': 4 },
    });
    const rows = promSamples(srv.render()).filter((r) => r.name === 'loadlab_checks_total');
    const names = new Set(rows.map((r) => r.labels.check));
    assert.equal(names.size, 101);
    assert.ok(names.has('order 0 filled') && names.has('order 99 filled') && names.has('(other)'));
    assert.ok(!names.has('order 100 filled') && !names.has('order 999 filled'));
    const v = (check: string, result: string) =>
      rows.find((r) => r.labels.check === check && r.labels.result === result)?.value;
    assert.equal(v('order 0 filled', 'pass'), 3);
    assert.equal(v('(other)', 'pass'), 50 * 2);
    assert.equal(v('(other)', 'fail'), 50 * 1 + 4);
    const sum = (result: string) =>
      rows.filter((r) => r.labels.result === result).reduce((a, r) => a + r.value, 0);
    assert.deepEqual([sum('pass'), sum('fail')], [150 * 2 + 1, 150 + 4]);
    assertPromtoolAccepts(t, srv.render());
  } finally {
    await srv.close({ wait: false });
  }
});

test('a check in a group() is labelled by its name: the same name at the top and in a group adds up', async () => {
  const srv = await startLoadMetricsServer({ port: 0 });
  try {
    const slice = { t: 1, requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, active: 1 };
    srv.observe('s', slice, {
      latency: [],
      counters: {
        'check:is 200:pass': 2,
        'check:::catalog\u001fis 200:pass': 3,
        'check:::catalog\u001fis 200:fail': 1,
      },
    });
    const rows = promSamples(srv.render()).filter((r) => r.name === 'loadlab_checks_total');
    assert.deepEqual(rows.map((r) => [r.labels.check, r.labels.result, r.value]).sort(), [
      ['is 200', 'fail', 1],
      ['is 200', 'pass', 5],
    ]);
  } finally {
    await srv.close({ wait: false });
  }
});
