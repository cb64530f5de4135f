/**
 * RowForwarder holds its rows until a receiver is up: on an at-most-once bus, a batch published
 * before the api subscribed is lost (a market-data process started before the api lost its
 * first batch). Once the receiver is up every held row goes, in order; close() sends what is
 * left whatever the receiver.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessBus } from '../src/bus/bus.ts';
import { type RowBatch, RowForwarder, RowReceiver } from '../src/cluster/metric-rows.ts';
import { Subject } from '../src/cluster/subjects.ts';

test('rows wait for the receiver, then all arrive with no gap; close() sends the rest', () => {
  const bus = new InProcessBus();
  const seen: RowBatch[] = [];
  bus.subscribe<RowBatch>(Subject.METRIC_ROWS, (b) => seen.push(b));
  let up = false;
  const fwd = new RowForwarder(bus, { receiverUp: () => up, intervalMs: 60_000, batchRows: 2 });
  for (let i = 0; i < 3; i++) assert.equal(fwd.recordAt(i, 'm', i), true);
  fwd.flush();
  assert.equal(seen.length, 0, 'nothing published while no receiver is up');
  assert.deepEqual(fwd.stats(), { recorded: 3, forwarded: 0, batches: 0, dropped: 0, pending: 3 });

  up = true;
  const rows: number[] = [];
  const receiver = new RowReceiver(bus, {
    recordAt: (_t, _n, v) => {
      rows.push(v);
      return true;
    },
  });
  fwd.flush();
  assert.deepEqual(rows, [0, 1, 2]);
  assert.equal(receiver.stats().batchesMissed, 0);

  up = false;
  fwd.recordAt(3, 'm', 3);
  fwd.close();
  assert.deepEqual(rows, [0, 1, 2, 3], 'close() publishes what is held, receiver seen or not');
  assert.deepEqual(
    seen.map((b) => b.seq),
    [1, 2, 3],
  );
});
