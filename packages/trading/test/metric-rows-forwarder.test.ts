/**
 * RowForwarder holds its rows until a receiver is up: on an at-most-once bus, a batch published
 * before the api subscribed is lost (a market-data process started before the api lost its
 * first batch). Once the receiver is up every held row goes, in order; close() sends what is
 * left whatever the receiver. Nor does it publish while its NATS bus reconnects (such a batch
 * was lost at every nats-server restart), and after a reconnect it waits for an api heartbeat
 * heard since (the api's last beat from before may still count as live).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BusState, InProcessBus } from '../src/bus/bus.ts';
import { NatsBus } from '../src/bus/nats-bus.ts';
import { ClusterView } from '../src/cluster/cluster-view.ts';
import type { Heartbeat } from '../src/cluster/heartbeat.ts';
import {
  apiHeardSinceConnect,
  type RowBatch,
  RowForwarder,
  RowReceiver,
} from '../src/cluster/metric-rows.ts';
import { Subject } from '../src/cluster/subjects.ts';
import { startNatsServer } from './support/nats-server.ts';

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

/** Resolves once `cond()` holds; fails after `ms` (a bound, not a sleep). */
async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('rows recorded while nats-server is away wait for the reconnect, then arrive with no gap', async () => {
  const nats = await startNatsServer();
  const sender = await NatsBus.connect({ url: nats.url });
  const api = await NatsBus.connect({ url: nats.url });
  try {
    const rows: number[] = [];
    const receiver = new RowReceiver(api, {
      recordAt: (_t, _n, v) => {
        rows.push(v);
        return true;
      },
    });
    await api.sync();
    const fwd = new RowForwarder(sender, { receiverUp: () => true, intervalMs: 60_000 });
    fwd.recordAt(0, 'm', 0);
    fwd.flush();
    await until('the first row', () => rows.length === 1);

    await nats.kill();
    await until(
      'both reconnecting',
      () => sender.state() === 'reconnecting' && api.state() === 'reconnecting',
    );
    fwd.recordAt(1, 'm', 1);
    fwd.flush();
    assert.equal(fwd.stats().pending, 1, 'held while the bus is away');

    await nats.restart();
    await until('both connected', () => sender.state() === 'connected' && api.state() === 'connected');
    await api.sync();
    fwd.recordAt(2, 'm', 2);
    fwd.flush();
    await until('every row', () => rows.length === 3);
    assert.deepEqual(rows, [0, 1, 2]);
    assert.equal(receiver.stats().batchesMissed, 0);
  } finally {
    await sender.close();
    await api.close();
    await nats.kill();
  }
});

test('after a reconnect, an api counts as a receiver once it is heard again', () => {
  class Flaky extends InProcessBus {
    current: BusState = 'connected';
    private readonly listeners = new Set<(s: BusState) => void>();
    override state(): BusState {
      return this.current;
    }
    override onState(l: (s: BusState) => void): () => void {
      this.listeners.add(l);
      return () => this.listeners.delete(l);
    }
    set(s: BusState): void {
      this.current = s;
      for (const l of this.listeners) l(s);
    }
  }
  const bus = new Flaky();
  let now = 1000;
  const view = new ClusterView(bus, { now: () => now });
  const up = apiHeardSinceConnect(bus, view, () => now);
  let seq = 0;
  const beat = () =>
    bus.publish<Heartbeat>(Subject.HEARTBEAT, {
      instanceId: 'api-1',
      seq: ++seq,
      pid: 1,
      host: 'h1',
      services: ['api'],
      symbols: null,
      startedAt: 1000,
      sentAt: 1000,
      bus: 'connected',
      urls: {},
      health: { problems: [] },
      stats: {},
    });
  assert.equal(up(), false, 'no api heard yet');
  now += 10;
  beat();
  assert.equal(up(), true);
  bus.set('reconnecting');
  now += 300;
  bus.set('connected');
  now += 10;
  assert.equal(
    up(),
    false,
    'its beat from before the reconnect is 320 ms old, but it may not have subscribed again',
  );
  beat();
  assert.equal(up(), true, 'heard since the reconnect');
});
