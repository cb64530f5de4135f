/**
 * Pacing on /ws/metrics: a client whose lag probes come back slowly (its library answers
 * pings only once its own receive queue has room) gets at most one write per interval, and
 * the latest of each symbol when the interval is up; a client answering at once beside it
 * gets every update. The rule itself (HubClient.paceBy) is checked on given times; the hub
 * with a client that withholds its pongs until the hub has seen it lag (no sleeps).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApiService } from '../src/api/api-server.ts';
import { HubClient, SLOW_RTTS_TO_PACE } from '../src/api/ws-hub/hub-client.ts';
import { DEFAULT_WS_HUB_OPTIONS } from '../src/api/ws-hub/ws-hub-options.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { Topic } from '../src/bus/topics.ts';
import { isKnownSymbol, marketUpdate } from './support/api-fixtures.ts';
import { until, WsTestClient } from './support/ws-test-client.ts';

const O = { ...DEFAULT_WS_HUB_OPTIONS, slowRttMs: 20, minPaceMs: 10, maxPaceMs: 250, paceRecoveryMs: 10_000 };

function client(): HubClient {
  return new HubClient(1, null as never, null as never, () => {});
}

test('paceBy: paced at the second slow round trip in a row, doubling once per round trip up to the bound', () => {
  const c = client();
  assert.equal(SLOW_RTTS_TO_PACE, 2);
  c.paceBy(0, 30, O); // one slow round trip: a pause, not a pattern
  assert.equal(c.paceMs, 0);
  c.paceBy(30, 35, O); // a quick one resets the count
  c.paceBy(35, 60, O);
  assert.equal(c.paceMs, 0);
  c.paceBy(60, 90, O); // second slow in a row
  assert.equal(c.paceMs, O.minPaceMs);
  c.paceBy(70, 95, O); // probe sent before that slowdown: shows nothing new
  assert.equal(c.paceMs, O.minPaceMs);
  let t = 100;
  for (const want of [20, 40, 80, 160, 250, 250]) {
    c.paceBy(t, t + 30, O);
    t += 40;
    assert.equal(c.paceMs, want);
  }
});

test('paceBy: quick round trips shorten the interval by paceMs/paceRecoveryMs of itself until unpaced', () => {
  const c = client();
  c.paceMs = 100;
  c.paceBy(0, 1, O);
  assert.equal(c.paceMs, 100 - (100 * 100) / O.paceRecoveryMs);
  // One probe per write: about 1000/paceRecoveryMs (10%) faster per second.
  let t = 0;
  while (t < 1000) {
    t += c.paceMs;
    c.paceBy(t, t + 1, O);
  }
  assert.ok(c.paceMs > 85 && c.paceMs < 92, `after 1 s: ${c.paceMs}`);
  let n = 0;
  while (c.paceMs > 0 && n < 100_000) {
    c.paceBy(0, 1, O);
    n++;
  }
  assert.equal(c.paceMs, 0, 'unpaced once below minPaceMs');
  const once = client();
  for (const [at, rtt] of [
    [0, 30],
    [40, 30],
  ])
    once.paceBy(at, at + rtt, O);
  assert.equal(once.paceMs, O.minPaceMs);
  once.paceBy(100, 101, O);
  assert.equal(once.paceMs, 0, 'two slow round trips, then a quick one: unpaced');
  const off = client();
  off.paceBy(0, 100, { ...O, maxPaceMs: 0 });
  off.paceBy(100, 200, { ...O, maxPaceMs: 0 });
  assert.equal(off.paceMs, 0, 'maxPaceMs 0: no pacing');
});

/**
 * A hub (flush on every publish, probes every 10 ms) with a quick client and a slow one
 * subscribed to SYM0 and SYM1; the slow one withholds its pongs until `answer()` (or
 * until the test pongs by hand). `round(n)` publishes update n of both symbols and waits
 * for the quick client to read it; `slowRoundTrip(n)` makes one slow round trip of the slow
 * client (written, its probe seen unanswered, then answered).
 */
async function pacedHub(minPaceMs: number, maxPaceMs: number) {
  const bus = new InProcessBus();
  const api = await startApiService({
    bus,
    isKnownSymbol,
    port: 0,
    ws: { flushIntervalMs: 0, sweepIntervalMs: 10, maxLagMs: 100, slowRttMs: 50, minPaceMs, maxPaceMs },
  });
  const url = `${api.url.replace('http', 'ws')}/ws/metrics`;
  const fast = await WsTestClient.connect(url);
  const slow = await WsTestClient.connect(url, { autoPong: false });
  let answering = false;
  let pings = 0;
  slow.ws.on('ping', () => {
    pings++;
    if (answering) slow.ws.pong();
  });
  await fast.subscribe('SYM0', 'SYM1');
  await slow.subscribe('SYM0', 'SYM1');
  const round = async (n: number) => {
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM0', n));
    bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM1', n));
    await fast.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === n);
  };
  const slowRoundTrip = async (n: number) => {
    await round(n); // written, then a probe
    await slow.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === n);
    const episodes = api.hub.stats().slowEpisodes;
    await until(() => api.hub.stats().slowEpisodes > episodes, 5000, 'the hub sees the probe unanswered');
    slow.ws.pong();
    await until(() => api.hub.stats().slowClients === 0, 5000, 'the pong arrives');
  };
  return {
    api,
    fast,
    slow,
    round,
    slowRoundTrip,
    pings: () => pings,
    answer: () => {
      answering = true;
    },
    close: async () => {
      await fast.close();
      await slow.close();
      await api.close();
      await bus.close();
    },
  };
}

test('a client with slow round trips is paced (latest per symbol each interval); a quick one beside it gets every update', async () => {
  // Its pongs held until the hub marks it behind (maxLagMs): two slow round trips (> slowRttMs).
  // The first interval (minPaceMs) is long, so the rounds below fall within it.
  const h = await pacedHub(60_000, 120_000);
  const { api, fast, slow, round, slowRoundTrip } = h;
  try {
    await slowRoundTrip(1);
    assert.equal(api.hub.stats().pacedClients, 0, 'one slow round trip does not pace');
    await slowRoundTrip(2);
    assert.equal(api.hub.stats().pacedClients, 1);
    assert.equal(api.hub.stats().paceMs.max, 60_000);
    h.answer();
    await round(3); // written (no write since the pace was set), then its interval starts
    await slow.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === 3);
    for (let n = 4; n <= 8; n++) await round(n); // within the interval: held back
    assert.equal(api.hub.stats().paced, 10);
    assert.deepEqual(
      slow.updates().map((u) => `${u.symbol}=${u.last}`),
      ['SYM0=1', 'SYM1=1', 'SYM0=2', 'SYM1=2', 'SYM0=3', 'SYM1=3'],
    );
    for (const s of ['SYM0', 'SYM1']) {
      const seqs = fast
        .updates()
        .filter((u) => u.symbol === s)
        .map((u) => u.seq);
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8], `quick client: every ${s} update`);
    }
    assert.ok(h.pings() >= 3);
  } finally {
    await h.close();
  }
});

test('when its interval is up a paced client gets the latest of each symbol it was held back on', async () => {
  const h = await pacedHub(500, 1000);
  const { api, fast, slow, round } = h;
  try {
    for (const n of [1, 2]) await h.slowRoundTrip(n);
    h.answer();
    assert.equal(api.hub.stats().pacedClients, 1);
    await round(3);
    const from = slow.messages.length;
    await round(4);
    await round(5);
    // Nothing more is published: the interval's end alone sends the held-back latest values.
    await slow.waitFor((m) => m.json?.symbol === 'SYM0' && m.json.last === 5, 5000, from);
    await slow.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === 5, 5000, from);
    const last = slow.updates().slice(-2);
    assert.deepEqual(
      last.map((u) => [u.symbol, u.seq]),
      [
        ['SYM0', 5],
        ['SYM1', 5],
      ],
    );
    assert.ok(slow.updates().length < fast.updates().length, 'intermediate updates were conflated');
    assert.ok(api.hub.stats().paced > 0);
  } finally {
    await h.close();
  }
});
