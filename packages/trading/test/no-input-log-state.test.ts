/**
 * `serve --no-input-log` on a data directory whose journal holds orders: before, it started
 * empty and issued the journal's order ids again (16777216 for a new order while the journal
 * held 16777216 for another), and the next journalled start recovered the old orders under
 * those ids, so a client saw one id name two orders. It now exits 2 TRD_ERR_INVALID_CONFIG
 * naming the directory and --no-input-log, and leaves the journal untouched. A directory whose
 * journal holds no order (a start and a stop) still starts without the input log.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { run, serveSandbox, TICKSTORM } from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

describe('--no-input-log on a data directory with a journal', () => {
  const box = serveSandbox('tickstorm-nolog-');
  const http = new Http();
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('refused when the journal holds orders, ids never issued twice', { timeout: 180_000 }, async () => {
    const dir = box.tmp();
    const engine = ['execution-engine', '--data-dir', dir, '--execution-engine-port', '0'];
    const first = await box.serve(engine);
    const placed = await http.post(
      `${first.urls['execution-engine']}/orders`,
      order('AAPL', 'buy', 'limit', 1, 100, { clientOrderId: 'n-1' }),
    );
    assert.equal(placed.status, 201);
    first.child.kill('SIGKILL');
    await first.done;

    const unlogged = await run(process.execPath, [TICKSTORM, 'serve', ...engine, '--no-input-log']);
    const out = unlogged.stdout + unlogged.stderr;
    assert.equal(unlogged.code, 2, out);
    assert.match(out, /TRD_ERR_INVALID_CONFIG/);
    assert.match(out, /--no-input-log/);
    assert.ok(out.includes(dir), out);

    // the journal is untouched: the order is recovered under its id
    const again = await box.serve(engine);
    const ex = again.urls['execution-engine'];
    const got = await http.get(`${ex}/orders/${(placed.body as { id: string }).id}`);
    assert.equal(got.status, 200);
    assert.equal((got.body as { clientOrderId: string }).clientOrderId, 'n-1');
    again.child.kill('SIGTERM');
    assert.equal((await again.done).code, 0);
  });

  test('a journal without orders does not stop it', { timeout: 120_000 }, async () => {
    const dir = box.tmp();
    const engine = ['execution-engine', '--data-dir', dir, '--execution-engine-port', '0'];
    const first = await box.serve(engine);
    first.child.kill('SIGTERM');
    assert.equal((await first.done).code, 0);
    const unlogged = await box.serve([...engine, '--no-input-log']);
    unlogged.child.kill('SIGTERM');
    assert.equal((await unlogged.done).code, 0);
  });
});
