/**
 * Round-trip credit on /ws/metrics: every flush is followed by a protocol ping, and a
 * client may be sent one more flush while that ping is unanswered. A client that answers
 * late (here: pongs sent by hand) is conflated meanwhile and, on its pong, gets the latest
 * of each symbol; a client that answers at once gets every update. Rounds are published
 * one flush apart, synchronised on the fast client's receipt (no sleeps).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { Topic } from '../src/bus/topics.ts';
import { isKnownSymbol, marketUpdate } from './support/api-fixtures.ts';
import { until, WsTestClient } from './support/ws-test-client.ts';

test('a late-answering client is sent one flush beyond its probe, then the latest per symbol on its pong', async () => {
  const bus = new InProcessBus();
  const api = await startApiService({ bus, isKnownSymbol, port: 0, ws: { flushIntervalMs: 0 } });
  const url = `${api.url.replace('http', 'ws')}/ws/metrics`;
  const fast = await WsTestClient.connect(url);
  const slow = await WsTestClient.connect(url, { autoPong: false });
  let pings = 0;
  slow.ws.on('ping', () => pings++);
  try {
    await fast.subscribe('SYM0', 'SYM1');
    await slow.subscribe('SYM0', 'SYM1');
    const round = async (n: number) => {
      bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM0', n));
      bus.publish(Topic.MARKET_UPDATE, marketUpdate('SYM1', n));
      await fast.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === n);
    };
    await round(1); // written, then a probe
    await round(2); // the one flush of credit
    await slow.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === 2);
    assert.equal(pings, 1, 'one probe in flight at a time');
    for (let n = 3; n <= 6; n++) await round(n); // out of credit: conflated
    assert.equal(api.hub.stats().conflated, 8);
    assert.equal(api.hub.stats().creditWaits, 1);
    assert.equal(api.hub.stats().slowClients, 0, 'waiting for credit is not slow');
    slow.ws.pong(); // has read everything: the latest of each symbol follows, and a new probe
    await slow.waitFor((m) => m.json?.symbol === 'SYM1' && m.json.last === 6);
    await slow.waitFor((m) => m.json?.symbol === 'SYM0' && m.json.last === 6);
    await until(() => pings === 2, 5000, 'a new probe after the resume');
    assert.deepEqual(
      slow.updates().map((u) => `${u.symbol}=${u.last}`),
      ['SYM0=1', 'SYM1=1', 'SYM0=2', 'SYM1=2', 'SYM0=6', 'SYM1=6'],
    );
    for (const s of ['SYM0', 'SYM1']) {
      const seqs = fast
        .updates()
        .filter((u) => u.symbol === s)
        .map((u) => u.seq);
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6], `fast client: every ${s} update`);
    }
    assert.ok(api.hub.stats().probeRttMs.max > 0);
  } finally {
    await fast.close();
    await slow.close();
    await api.close();
    await bus.close();
  }
});
