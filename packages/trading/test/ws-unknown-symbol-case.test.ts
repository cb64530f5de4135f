/**
 * /ws/metrics in a whole system: a subscribe to a symbol in the wrong case (`sym0`) is answered
 * with the instrument it differs from, as orders and ticks are (InstrumentTable
 * .unknownSymbolMessage), so a dashboard typed in lowercase learns why it gets nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Fixture, startFixture } from './support/trading-fixture.ts';
import { WsTestClient } from './support/ws-test-client.ts';

describe('/ws/metrics: unknown symbols', () => {
  let f: Fixture;
  let c: WsTestClient;
  before(async () => {
    f = await startFixture({ inputLog: false, services: ['market-data', 'api'] });
    c = await WsTestClient.connect(`${f.url('api').replace('http', 'ws')}/ws/metrics`);
  });
  after(async () => {
    c.ws.close();
    await c.closed;
    await f.close();
  });

  test('a symbol in the wrong case names the instrument; another unknown one does not', async () => {
    const errors: unknown[] = [];
    for (const symbol of ['sym0', 'NOPE']) {
      const from = c.messages.length;
      c.send({ action: 'subscribe', symbol });
      errors.push((await c.waitFor((m) => m.json?.type === 'error', 5000, from)).json);
    }
    assert.deepEqual(errors, [
      {
        type: 'error',
        code: 'PRT_ERR_UNKNOWN_SYMBOL',
        message: 'unknown symbol "sym0" (symbols are case-sensitive: "SYM0")',
        field: 'symbol',
        symbol: 'sym0',
      },
      {
        type: 'error',
        code: 'PRT_ERR_UNKNOWN_SYMBOL',
        message: 'unknown symbol "NOPE"',
        field: 'symbol',
        symbol: 'NOPE',
      },
    ]);
  });

  test('a 60,000-character symbol is echoed cut to 64 characters, in symbol and message', async () => {
    const from = c.messages.length;
    c.send({ action: 'subscribe', symbol: 'X'.repeat(60_000) });
    const e = (await c.waitFor((m) => m.json?.type === 'error', 5000, from)).json as {
      code: string;
      symbol: string;
      message: string;
    };
    assert.equal(e.code, 'PRT_ERR_UNKNOWN_SYMBOL');
    assert.equal(e.symbol, `${'X'.repeat(61)}...`);
    assert.ok(e.message.length < 200, e.message.slice(0, 300));
  });
});
