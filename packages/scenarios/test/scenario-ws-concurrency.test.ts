import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { wsConcurrency } from '../src/ws-concurrency.ts';
import { updateTimestamp } from '../src/ws-concurrency-script.ts';
import { assertParamSpecs, assertResultShape, target } from './support/scenario-checks.ts';
import { startTarget, type Target } from './support/trading-target.ts';

const TARGETS = [
  'Clients receiving updates',
  'Message latency P95',
  'Average message latency',
  'Concurrent clients',
];
let sys: Target;
before(async () => {
  sys = await startTarget();
});
after(() => sys.close());

test("update timestamps are read from the hub's frame bytes; anything else is NaN", () => {
  const u = (ts: string) =>
    Buffer.from(
      `{"type":"update","symbol":"SYM0","seq":3,"last":100.1,"bid":null,"ask":null,"volume":1000,"vwap":100.1,"ticks":3,"timestamp":${ts}}`,
    );
  assert.equal(updateTimestamp(u('1732280000.123')), 1732280000.123);
  assert.equal(updateTimestamp(u('1732280000')), 1732280000);
  assert.ok(Number.isNaN(updateTimestamp(u('null'))));
  assert.ok(Number.isNaN(updateTimestamp(Buffer.from('{"type":"subscribed","symbol":"SYM0"}'))));
  assert.ok(Number.isNaN(updateTimestamp(Buffer.from('pong'))));
  assert.ok(Number.isNaN(updateTimestamp(Buffer.from('{"type":"update","x":1,"stamp":12}'))));
});

test('ws-concurrency: 10 clients x 10 symbols, all receive updates from the scenario’s own feed', async () => {
  const r = await wsConcurrency.run(
    { urls: sys.urls, workers: 1 },
    { clients: 10, duration: '1500ms', tickRate: 2000, feedTicksPerFrame: 50 },
  );
  assertResultShape(r, wsConcurrency, TARGETS);
  const x = r.extra;
  assert.equal(x.clients, 10);
  assert.equal(x.clientsConnected, 10);
  assert.equal(x.clientsReceiving, 10);
  assert.equal(x.concurrentClients, 10);
  assert.equal(x.feedTicksSent, 3000); // 60 frames of 50 ticks: the schedule exactly
  assert.equal(x.errorFrames, 0);
  // every update is one request event; totalMessages also counts control replies (pongs)
  assert.equal(r.requests, x.updates);
  assert.ok(Number(x.updates) >= 10 * 10, `updates ${x.updates}`);
  assert.equal(x.totalMessages, Number(x.updates) + Number(x.pongs));
  assert.equal(x.messagesPerClient, Math.round(Number(x.totalMessages) / 10));
  assert.deepEqual(
    r.entries.map((e) => [e.type, e.name]),
    [['WS', 'update']],
  );
  const hub = x.server as Record<string, number>;
  assert.ok(hub.messagesSent >= Number(x.updates), 'the hub sent at least what was counted');
  assert.equal(target(r, 'Clients receiving updates').pass, true);
  const p95 = target(r, 'Message latency P95');
  assert.equal(p95.value, Math.round(r.latency_ms.p95 * 1000) / 1000);
  assert.equal(p95.pass, r.latency_ms.p95 < 50);
  const avg = target(r, 'Average message latency');
  assert.equal(avg.value, Math.round(Number(x.avgLatencyMs) * 1000) / 1000);
  assert.equal(avg.pass, Number(x.avgLatencyMs) < 100);
  const concurrent = target(r, 'Concurrent clients');
  assert.equal(concurrent.target, '>= 10');
  assert.equal(concurrent.pass, true);
});

test('ws-concurrency: clients on symbols the feed never touches do not receive, and fail the target', async () => {
  // 6 clients x 5 symbols over a 30-symbol universe; the feed sends 2 frames of 1 tick
  // (SYM0 at 0 s, SYM1 at 0.5 s), so only client 0 (SYM0..SYM4) can receive.
  const r = await wsConcurrency.run(
    { urls: sys.urls, workers: 1 },
    { clients: 6, symbolsPerClient: 5, symbols: 30, tickRate: 2, feedTicksPerFrame: 1, duration: '1s' },
  );
  assert.equal(r.extra.clientsConnected, 6);
  assert.equal(r.extra.clientsReceiving, 1);
  const t = target(r, 'Clients receiving updates');
  assert.equal(t.value, 1);
  assert.equal(t.pass, false);
  assert.equal(t.actual, '1 of 6');
});

test('ws-concurrency: validate names every bad flag at once', () => {
  assertParamSpecs(wsConcurrency);
  const problems = wsConcurrency.validate({
    clients: 0,
    symbolsPerClient: 'ten',
    tickRate: -5,
    feedFormat: 'csv',
  });
  assert.equal(problems.length, 4, problems.join('\n'));
  for (const flag of ['--clients', '--symbols-per-client', '--tick-rate', '--feed-format']) {
    assert.ok(
      problems.some((p) => p.startsWith(`${flag} must be`)),
      `${flag} in ${problems.join('; ')}`,
    );
  }
  assert.match(
    wsConcurrency.validate({ symbolsPerClient: 60 })[0],
    /--symbols-per-client must be <= --symbols/,
  );
});

test('ws-concurrency in two execution segments: the clients and the feed split, adding up to the whole', async () => {
  const params = { clients: 5, duration: '1500ms', tickRate: 2000, feedTicksPerFrame: 50 };
  const parts = await Promise.all(
    [0, 1].map((index) =>
      wsConcurrency.run({ urls: sys.urls, workers: 1, segment: { index, count: 2 } }, params),
    ),
  );
  assert.deepEqual(
    parts.map((r) => r.extra.clientsConnected),
    [3, 2],
  );
  assert.deepEqual(
    parts.map((r) => r.extra.clients),
    [3, 2],
  );
  // 60 frames of 50 ticks on the schedule: 30 frames each
  assert.deepEqual(
    parts.map((r) => r.extra.feedTicksSent),
    [1500, 1500],
  );
  assert.deepEqual(
    parts.map((r) => target(r, 'Concurrent clients').target),
    ['>= 3', '>= 2'],
  );
  assert.match(target(parts[1], 'Clients receiving updates').target, /== 2 \(this segment's 1\/2 of 5\)/);
  assert.deepEqual(
    parts.map((r) => r.params.executionSegment),
    ['0:1/2', '1/2:1'],
  );
});
