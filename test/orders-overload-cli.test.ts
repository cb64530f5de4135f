/**
 * Overload for real: `tickstorm serve` (child process, load shedding on as `serve` runs it,
 * ABC_MAX_CONCURRENT_REQUESTS=64) offered far more orders than it can take by `tickstorm http`
 * in the open model over 1,500 connections. Orders beyond capacity (event-loop lag, or more
 * than 64 waiting for their journal write) are answered 503 TRD_ERR_OVERLOADED + Retry-After
 * instead of queueing:
 * every request gets an answer (no timeout, no reset), and once the flood ends the engine
 * takes orders again at once.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { type ServeChild, startServeChild } from './support/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-overload-'));
let served: ServeChild | undefined;
let engine = '';
let risk = '';

before(async () => {
  // The server at the lowest CPU priority, the load generator at normal: on a small machine
  // the generator would otherwise run out of CPU before the server does (a noisy neighbour
  // taking the server's CPU is a real way to overload it). A small admission bound (orders
  // waiting for their journal write), as an operator sets it to keep latency bounded: beyond
  // it, 503 instead of a longer queue.
  served = await startServeChild(['--data-dir', dir], {
    prefix: ['nice', '-n', '19'],
    env: { ...process.env, TICKSTORM_LOG_LEVEL: 'warn', ABC_MAX_CONCURRENT_REQUESTS: '64' },
  });
  engine = served.urls['execution-engine'];
  risk = served.urls['risk-manager'];
});

after(async () => {
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('an order flood far beyond capacity: 503 + Retry-After for the excess, every request answered, then orders taken again', async () => {
  const out = join(dir, 'flood.json');
  // The per-account rate limit would answer most of the flood 429 (cheaply): lift it.
  const limits = await fetch(`${risk}/limits`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ maxOrdersPerSecond: 1e9 }),
  });
  assert.equal(limits.status, 200, await limits.text());
  // While the flood runs, catch one 503 up close: its code and Retry-After.
  let seen: { status: number; retryAfter: string | null; body: { error?: { code?: string } } } | undefined;
  let flooding = true;
  const probe = (async () => {
    while (flooding && seen === undefined) {
      const res = await fetch(`${engine}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"symbol":"AAPL","side":"buy","type":"limit","price":90,"quantity":1}',
      });
      const body = (await res.json()) as { error?: { code?: string } };
      if (res.status === 503) seen = { status: 503, retryAfter: res.headers.get('retry-after'), body };
    }
  })();
  const r = await run([
    'http',
    `${engine}/orders`,
    '-m',
    'POST',
    '-H',
    'Content-Type: application/json',
    '-b',
    '{"symbol":"AAPL","side":"buy","type":"limit","price":90,"quantity":1}',
    '-R',
    '60000',
    '-c',
    '1500',
    '--max-vus',
    '20000',
    '-d',
    '3',
    '--timeout',
    '20',
    '--workers',
    '2',
    '--json',
    out,
  ]);
  flooding = false;
  await probe;
  const j = JSON.parse(readFileSync(out, 'utf8'));
  const status = j.status as Record<string, number>;
  assert.ok((status['503'] ?? 0) > 0, `no 503 under a 60k/s flood: ${JSON.stringify(status)} ${r.stderr}`);
  assert.equal(status['0'] ?? 0, 0, `requests without an answer: ${JSON.stringify(status)}`);
  const answered = Object.entries(status).reduce((n, [, v]) => n + v, 0);
  assert.equal(answered, j.requests);

  assert.ok(seen !== undefined, 'a 503 caught during the flood');
  assert.equal(seen.retryAfter, '1');
  assert.equal(seen.body.error?.code, 'TRD_ERR_OVERLOADED');
  // The backlog drains, shedding stops, and orders are taken again (bounded, no sleep: each try is a request).
  const t0 = performance.now();
  let last = 0;
  while (performance.now() - t0 < 15_000) {
    const res = await fetch(`${engine}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        symbol: 'MSFT',
        side: 'buy',
        type: 'limit',
        price: 90,
        quantity: 1,
        account: 'after',
      }),
    });
    last = res.status;
    await res.arrayBuffer();
    if (last === 201) break;
    assert.equal(last, 503);
  }
  assert.equal(last, 201, 'orders taken again within 15 s of the flood');
});
