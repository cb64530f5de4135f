/**
 * The Python clients of bench/python/ (an asyncio order client sending raw decimal prices, and
 * 100 asyncio WebSocket subscribers in one process) against the services, when a python3 with
 * httpx and websockets is installed (Debian: python3-httpx, python3-websockets); skipped
 * otherwise. The order client sees under 1% errors at 100 and 1,000 orders/s; every one of the
 * 100 subscribers is updated under a 5,000 ticks/s feed (their p95 age is reported).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findPython, pythonWs, runPython } from '../bench/python-clients.ts';
import { type Fixture, startFixture } from './support/trading-fixture.ts';

const python = findPython();

describe('Python clients', {
  skip: python === undefined ? 'no python3 with httpx and websockets' : false,
}, () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture();
  });
  after(() => f.close());

  for (const rate of [100, 1000]) {
    test(`order client at ${rate} orders/s: under 1% errors`, { timeout: 120_000 }, async (t) => {
      const r = await runPython(python!, 'order_client.py', [f.url('execution-engine'), String(rate), '2']);
      t.diagnostic(JSON.stringify(r));
      assert.equal(r.sent, rate * 2);
      assert.ok((r.errorRate as number) < 0.01, JSON.stringify(r));
    });
  }

  test('100 WebSocket subscribers in one process, 5,000 ticks/s: every one updated', {
    timeout: 120_000,
  }, async (t) => {
    const r = await pythonWs(python!, 5000, 3);
    t.diagnostic(JSON.stringify(r));
    assert.equal(r.clientsUpdated, 100);
  });
});
