/**
 * Records replayed at a restart are snapshotted by the next snapshot: after a kill -9 with
 * journal records past the newest snapshot, a graceful stop writes a snapshot even when no
 * order came in meanwhile, so the next start restores it and replays nothing. Before, the
 * recovered state counted as already snapshotted: the stop wrote none and every restart
 * replayed the same tail again (with --snapshot-interval 0 the whole journal, for ever).
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { serveSandbox } from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

describe('a recovered journal tail is snapshotted', () => {
  const box = serveSandbox('tickstorm-recsnap-');
  const http = new Http();
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('kill -9, restart, SIGTERM with no new order: a snapshot; the next start replays 0 records', {
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
    const snapshots = () => readdirSync(dir).filter((f) => f.endsWith('.tks'));

    const first = await box.serve(args);
    const ids: string[] = [];
    for (const price of [99, 98, 97]) {
      const r = await http.post(
        `${first.urls['execution-engine']}/orders`,
        order('AAPL', 'buy', 'limit', 1, price),
      );
      assert.equal(r.status, 201);
      ids.push(r.body.id);
    }
    first.child.kill('SIGKILL');
    await first.done;
    assert.deepEqual(snapshots(), []);

    const second = await box.serve(args);
    second.child.kill('SIGTERM');
    const stopped = await second.done;
    assert.equal(stopped.code, 0);
    assert.match(stopped.stdout, /recovered 3 live orders from no snapshot \+ 3 journal records/);
    assert.equal(snapshots().length, 1, 'the graceful stop snapshotted the replayed records');

    const third = await box.serve(args);
    third.child.kill('SIGTERM');
    const out = (await third.done).stdout;
    assert.match(out, /recovered 3 live orders from \S+snapshot-\d+\.tks \+ 0 journal records/);
  });
});
