/**
 * Slow subscribers on /ws/metrics: a client whose socket stops reading (its TCP socket
 * paused, so the kernel buffers fill and the server's writes back up) must not delay a
 * healthy subscriber of the same symbols; it is conflated (latest per symbol) once behind,
 * gets the latest values if it catches up, and is closed with 1013 if it stays behind.
 * Everything waits on events or bounded polls; rounds of updates are published one event
 * loop turn apart so each round is its own flush.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { Topic } from '../src/bus/topics.ts';
import { isKnownSymbol, marketUpdate, SYMBOLS } from './support/api-fixtures.ts';
import { until, WsTestClient } from './support/ws-test-client.ts';

const MAX_ROUNDS = 20_000;

interface Rig {
  bus: InProcessBus;
  api: ApiService;
  healthy: WsTestClient;
  stalled: WsTestClient;
  round: number;
  /** publish -> the healthy client has the round's last update, per round (ms). */
  roundMs: number[];
}

async function rig(maxBehindMs: number): Promise<Rig> {
  const bus = new InProcessBus();
  const api = await startApiService({
    bus,
    isKnownSymbol,
    port: 0,
    ws: { maxBehindMs, sweepIntervalMs: 20, closeGraceMs: 10_000, flushIntervalMs: 0 },
  });
  const url = `${api.url.replace('http', 'ws')}/ws/metrics`;
  const healthy = await WsTestClient.connect(url);
  const stalled = await WsTestClient.connect(url);
  await healthy.subscribe(...SYMBOLS);
  await stalled.subscribe(...SYMBOLS);
  stalled.socket.pause(); // stops reading: a stalled subscriber
  return { bus, api, healthy, stalled, round: 0, roundMs: [] };
}

/** One round: an update for every symbol, then wait until the healthy client has all of it. */
async function publishRound(r: Rig): Promise<void> {
  r.round++;
  const t0 = performance.now();
  const from = r.healthy.messages.length;
  for (const s of SYMBOLS) r.bus.publish(Topic.MARKET_UPDATE, marketUpdate(s, r.round));
  const last = SYMBOLS[SYMBOLS.length - 1];
  await r.healthy.waitFor((m) => m.json?.symbol === last && m.json.last === r.round, 5000, from);
  r.roundMs.push(performance.now() - t0);
}

async function roundsUntil(r: Rig, cond: () => boolean, what: string): Promise<void> {
  const limit = r.round + MAX_ROUNDS;
  while (!cond()) {
    if (r.round >= limit) throw new Error(`${what}: not reached after ${MAX_ROUNDS} rounds`);
    await publishRound(r);
  }
}

/** `behindAt`: the round the stalled client fell behind, from which it could delay others. */
function assertHealthyGotEverything(r: Rig, behindAt: number): void {
  const ups = r.healthy.updates();
  assert.equal(ups.length, r.round * SYMBOLS.length, 'healthy subscriber got every update');
  for (const s of SYMBOLS) {
    const seqs = ups.filter((u) => u.symbol === s).map((u) => u.seq);
    assert.deepEqual(
      seqs,
      Array.from({ length: r.round }, (_, i) => i + 1),
      `${s}: no gaps`,
    );
  }
  // A delay the stalled client causes is in every round once it is behind; a stall of the
  // shared machine is in a few (a loaded box put 3 rounds past 250 ms: p99 332 ms). So the
  // median of the rounds since it fell behind, and no round near the 5 s a blocked hub takes.
  const since = r.roundMs.slice(behindAt).sort((a, b) => a - b);
  assert.ok(since.length > 0);
  const p50 = since[Math.floor(since.length * 0.5)];
  const max = Math.max(...r.roundMs);
  assert.ok(p50 < 250 && max < 2000, `healthy round latency p50 ${p50} ms, max ${max} ms`);
}

async function teardown(r: Rig): Promise<void> {
  await r.healthy.close();
  await r.stalled.close();
  await r.api.close();
  await r.bus.close();
}

test('a stalled subscriber is conflated then disconnected (1013); a healthy one is not delayed', async () => {
  const r = await rig(300);
  try {
    await roundsUntil(r, () => r.api.hub.stats().slowEpisodes > 0, 'stalled client falls behind');
    const behindAt = r.round;
    assert.equal(r.api.hub.stats().slowClients, 1);
    await roundsUntil(r, () => r.api.hub.stats().slowDisconnects > 0, 'stalled client disconnected');
    assert.ok(r.round > behindAt, 'kept publishing while the stalled client was behind');
    const s = r.api.hub.stats();
    assert.equal(s.slowDisconnects, 1);
    assert.ok(s.conflated >= (r.round - behindAt) * SYMBOLS.length, `conflated ${s.conflated}`);
    assert.equal(s.slowClients, 0);
    assertHealthyGotEverything(r, behindAt);
    // The stalled client, once it reads again, gets its backlog and then the 1013 close.
    r.stalled.socket.resume();
    const closed = await r.stalled.closed;
    assert.equal(closed.code, 1013);
    assert.match(closed.reason, /slow consumer/);
    assert.ok(r.stalled.updates().length < r.healthy.updates().length);
    await until(() => r.api.hub.clientCount === 1, 5000, 'stalled client removed');
    await publishRound(r); // the healthy one is still served
    assertHealthyGotEverything(r, behindAt);
  } finally {
    await teardown(r);
  }
});

test('a subscriber that catches up gets the latest value of every symbol it missed', async () => {
  const r = await rig(60_000);
  try {
    await roundsUntil(r, () => r.api.hub.stats().slowEpisodes > 0, 'stalled client falls behind');
    const behindAt = r.round;
    for (let i = 0; i < 20; i++) await publishRound(r); // all conflated for the stalled one
    const conflated = r.api.hub.stats().conflated;
    assert.ok(conflated >= 20 * SYMBOLS.length, `conflated ${conflated}`);
    r.stalled.socket.resume();
    for (const s of SYMBOLS) {
      await r.stalled.waitFor((m) => m.json?.symbol === s && m.json.last === r.round, 10_000);
    }
    const s = r.api.hub.stats();
    assert.ok(s.slowResumed >= 1);
    assert.equal(s.slowDisconnects, 0);
    const got = r.stalled.updates();
    assert.ok(got.length < r.round * SYMBOLS.length, 'intermediate updates were conflated away');
    for (const sym of SYMBOLS) {
      const last = got.filter((u) => u.symbol === sym).at(-1)!;
      assert.equal(last.seq, r.round, `${sym}: latest seq after catching up`);
    }
    assert.ok(behindAt < r.round);
    assertHealthyGotEverything(r, behindAt);
    // Back to normal: the next round reaches it too.
    await publishRound(r);
    await r.stalled.waitFor((m) => m.json?.symbol === 'SYM0' && m.json.last === r.round);
  } finally {
    await teardown(r);
  }
});

test('the lag probe catches a stalled client whose backlog is still in kernel buffers', async () => {
  const bus = new InProcessBus();
  const api = await startApiService({
    bus,
    isKnownSymbol,
    port: 0,
    ws: { probeIntervalMs: 20, maxLagMs: 100, sweepIntervalMs: 10, maxBehindMs: 60_000, flushIntervalMs: 0 },
  });
  const c = await WsTestClient.connect(`${api.url.replace('http', 'ws')}/ws/metrics`);
  try {
    await c.subscribe('SYM0', 'SYM1');
    c.socket.pause();
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM0', 1)); // a few hundred bytes: no socket backlog
    await until(() => api.hub.stats().slowClients === 1, 5000, 'probe marks the client behind');
    for (let i = 2; i <= 4; i++) {
      bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM0', i));
      bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM1', i));
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(api.hub.stats().conflated >= 6);
    c.socket.resume(); // reads, answers the ping, gets the latest of each symbol
    await c.waitFor((m) => m.json?.symbol === 'SYM0' && m.json.last === 4);
    await c.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === 4);
    assert.deepEqual(
      c.updates().map((u) => u.last),
      [1, 4, 4],
    );
    await until(() => api.hub.stats().slowClients === 0, 5000, 'client resumed');
    assert.ok(api.hub.stats().probeRttMs.max > 100);
  } finally {
    await c.close();
    await api.close();
    await bus.close();
  }
});

test('flushIntervalMs bounds the message rate per symbol; an isolated update is not delayed', async () => {
  const bus = new InProcessBus();
  const api = await startApiService({ bus, isKnownSymbol, port: 0, ws: { flushIntervalMs: 60_000 } });
  const c = await WsTestClient.connect(`${api.url.replace('http', 'ws')}/ws/metrics`);
  try {
    await c.subscribe('SYM2');
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM2', 1));
    await c.waitFor((m) => m.json?.last === 1, 5000); // next turn, not after 60 s
    for (let i = 2; i <= 4; i++) {
      bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM2', i));
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(c.updates().length, 1, 'later updates wait for the interval');
    assert.equal(api.hub.stats().updatesCoalesced, 2);
  } finally {
    await c.close();
    await api.close();
    await bus.close();
  }
});
