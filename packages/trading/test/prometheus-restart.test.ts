/**
 * A restart after a crash replays the journal's tail into the engine: the orders and trades
 * it re-applies were counted by the process that took them, so the new process's counters
 * start at 0 as Prometheus expects of a restarted target. Before, the replayed orders came
 * back as accepted (and filled, and trades) with received 0, and Prometheus, seeing the
 * counter reset, counted them a second time in rate() and increase().
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { serveSandbox } from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

const sample = (text: string, name: string): number => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m !== null, `${name} in the exposition`);
  return Number(m[1]);
};

describe('/metrics after a kill -9 and a restart', () => {
  const box = serveSandbox('tickstorm-prom-restart-');
  const http = new Http();
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('the replayed orders are not counted again; the recovered book is there', {
    timeout: 120_000,
  }, async () => {
    const dir = box.tmp();
    const args = [
      'execution-engine',
      '--data-dir',
      dir,
      '--execution-engine-port',
      '0',
      '--snapshot-interval',
      '0',
    ];
    const first = await box.serve(args);
    const ee = first.urls['execution-engine'];
    for (const [side, price] of [
      ['buy', 99],
      ['sell', 99],
      ['buy', 98],
    ] as const) {
      assert.equal((await http.post(`${ee}/orders`, order('AAPL', side, 'limit', 1, price))).status, 201);
    }
    const before = await (await fetch(`${ee}/metrics`)).text();
    assert.equal(sample(before, 'tickstorm_orders_accepted_total'), 3);
    assert.equal(sample(before, 'tickstorm_trades_total'), 1);
    first.child.kill('SIGKILL');
    await first.done;

    const second = await box.serve(args);
    const text = await (await fetch(`${second.urls['execution-engine']}/metrics`)).text();
    assert.equal(sample(text, 'tickstorm_orders_live'), 1, 'the resting buy at 98 was recovered');
    for (const name of [
      'tickstorm_orders_received_total',
      'tickstorm_orders_accepted_total',
      'tickstorm_orders_filled_total',
      'tickstorm_trades_total',
    ])
      assert.equal(sample(text, name), 0, `${name} starts at 0 in the new process`);
    second.child.kill('SIGTERM');
    assert.match((await second.done).stdout, /recovered 1 live orders from no snapshot \+ 3 journal records/);
  });
});
