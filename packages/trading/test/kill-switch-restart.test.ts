/**
 * The kill switch survives a crash: an account halted by `POST /admin/accounts/:account/halt`
 * is still halted after `tickstorm serve` is killed with SIGKILL and restarted on the same data
 * directory (its new orders refused 403 TRD_ERR_ACCOUNT_HALTED, the orders it cancelled still
 * with reason `halted`), and a resume survives one too.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { serveSandbox, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { codedError, Http, order } from './support/trading-fixture.ts';

describe('kill switch across kill -9', () => {
  const box = serveSandbox('tickstorm-halt-');
  const http = new Http();
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('a halt and a resume are both still in force after SIGKILL and a restart', {
    timeout: 120_000,
  }, async () => {
    const dir = box.tmp();
    const args = ['--data-dir', dir, ...ZERO_PORT_FLAGS, '--log-level', 'silent'];
    const crash = async (s: Awaited<ReturnType<typeof box.serve>>) => {
      s.child.kill('SIGKILL');
      await s.done;
    };

    let served = await box.serve(args);
    let ex = served.urls['execution-engine'];
    const resting = await http.post(
      `${ex}/orders`,
      order('AAPL', 'buy', 'limit', 1, 100, { account: 'k-1' }),
    );
    assert.equal(resting.status, 201);
    const halt = await http.post(`${ex}/admin/accounts/k-1/halt`, undefined);
    assert.equal(halt.status, 200);
    assert.deepEqual(halt.body, { account: 'k-1', halted: true, cancelled: 1 });
    // The owner did not cancel it: a client reconciling must not read its own cancel.
    assert.equal((await http.get(`${ex}/orders/${resting.body.id}`)).body.reason, 'halted');
    await crash(served);

    served = await box.serve(args);
    ex = served.urls['execution-engine'];
    const refused = await http.post(
      `${ex}/orders`,
      order('AAPL', 'buy', 'limit', 1, 100, { account: 'k-1' }),
    );
    assert.equal(refused.status, 403, JSON.stringify(refused.body));
    assert.equal(codedError(refused).code, 'TRD_ERR_ACCOUNT_HALTED');
    const cancelled = await http.get(`${ex}/orders/${resting.body.id}`);
    assert.deepEqual([cancelled.body.status, cancelled.body.reason], ['cancelled', 'halted'], 'replayed');
    const resumed = await http.post(`${ex}/admin/accounts/k-1/resume`, undefined);
    assert.deepEqual(resumed.body, { account: 'k-1', halted: false, wasHalted: true });
    await crash(served);

    served = await box.serve(args);
    ex = served.urls['execution-engine'];
    const taken = await http.post(`${ex}/orders`, order('AAPL', 'buy', 'limit', 1, 100, { account: 'k-1' }));
    assert.equal(taken.status, 201, JSON.stringify(taken.body));
    served.child.kill('SIGTERM');
    assert.equal((await served.done).code, 0);
  });
});
