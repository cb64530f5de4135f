/**
 * An order's 201 states only what the journal batch it waited for covers. Before, the answer
 * was the live order record, serialised once that batch's fdatasync completed: a tick that
 * fired the stop meanwhile (its record in a later batch) showed in the 201 as `filled`, and a
 * kill -9 right after the answer restarted with the stop `pending` and no fill, so a client
 * had been told of a fill that never happened (seen in kill -9 cycles of `serve` under load:
 * "was filled/6, now pending/0"). The answer is now the order as its own command left it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { TradingCore } from '../src/system/trading-core.ts';

const root = mkdtempSync(join(tmpdir(), 'tickstorm-ackbody-'));
after(() => rmSync(root, { recursive: true, force: true }));
const instruments = new InstrumentTable();
const open = (dataDir: string) =>
  new TradingCore({ instruments, dataDir, snapshotIntervalMs: 0, report: () => {} });
const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

describe('what a 201 acknowledges', () => {
  it('a fill by a later tick is not in the 201 unless a kill -9 right after keeps it', async () => {
    const book = instruments.get('AAPL').index;
    const seen: string[] = [];
    for (let i = 0; i < 16; i++) {
      const dir = join(root, `d${i}`);
      const a = open(dir);
      a.setLastPrice(book, 10_000);
      const ask = { symbol: 'AAPL', side: 'sell', type: 'limit', quantity: 5, price: 101, account: 's' };
      assert.equal((await a.gateway.submit(ask)).status, 201);
      const stop = { symbol: 'AAPL', side: 'buy', type: 'stop', quantity: 5, price: 101, account: 'b' };
      const pending = a.gateway.submit(stop);
      let answered = false;
      pending.then(() => {
        answered = true;
      });
      // the tick comes while the stop's batch is being made durable: a few turns later
      for (let t = 0; t < i % 8 && !answered; t++) await new Promise((r) => setTimeout(r, 0));
      a.setLastPrice(book, 10_150); // fires the stop: it buys the 5 at 101
      const reply = await pending;
      assert.equal(reply.status, 201);
      const crash = join(root, `crash${i}`);
      cpSync(dir, crash, { recursive: true }); // a kill -9 the moment the answer is sent
      const acked = plain(reply.body);
      const b = open(crash);
      const after = plain(b.gateway.get(acked.id).body);
      seen.push(`${acked.status}->${after.status}`);
      assert.ok(
        after.filledQuantity >= acked.filledQuantity,
        `attempt ${i}: acknowledged ${acked.status} ${acked.filledQuantity}, after the crash ${after.status} ${after.filledQuantity}`,
      );
      await b.close();
      await a.close();
    }
    assert.ok(seen.length === 16, seen.join(' '));
  });
});
