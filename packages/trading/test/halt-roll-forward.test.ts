/**
 * A halt cut short by a crash (src/orders/order-gateway.ts, completeHalts): the kill switch
 * records the account (halted-accounts.json, written durably first) and then cancels its open
 * orders; a kill -9 between the two left, after the restart, a halted account whose orders
 * still rested and could fill. The restart now completes the halt: those orders are cancelled
 * with reason `halted` and journalled (a second restart agrees); other accounts are untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import type { OrderRecord } from '../src/orders/order-record.ts';
import { haltedAccountsPath } from '../src/persistence/journal-dir.ts';
import { stateHash } from '../src/system/state-hash.ts';
import { TradingCore } from '../src/system/trading-core.ts';

const root = mkdtempSync(join(tmpdir(), 'tickstorm-halt-'));
const cores: TradingCore[] = [];
after(async () => {
  for (const c of cores) await c.close().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});
const instruments = new InstrumentTable();
const lines: string[] = [];
function open(dataDir: string): TradingCore {
  const c = new TradingCore({ instruments, dataDir, snapshotIntervalMs: 0, report: (l) => lines.push(l) });
  cores.push(c);
  return c;
}

describe('a halt cut short by a crash', () => {
  it('the restart cancels the halted account open orders, journalled; others rest on', async () => {
    const dir = join(root, 'd');
    const a = open(dir);
    const ids: Record<string, string[]> = { h: [], other: [] };
    for (const account of ['h', 'other']) {
      for (let i = 0; i < 3; i++) {
        const r = await a.gateway.submit({
          symbol: 'AAPL',
          side: 'buy',
          type: 'limit',
          quantity: 1,
          price: 99 - i,
          account,
          clientOrderId: `${account}-${i}`,
        });
        assert.equal(r.status, 201);
        ids[account].push((r.body as OrderRecord).id);
      }
    }
    // the halt's first step reached the disk, then kill -9 (its cancels were never journalled)
    writeFileSync(haltedAccountsPath(dir), `${JSON.stringify({ halted: ['h'] })}\n`);
    lines.length = 0;
    const b = open(dir);
    for (const id of ids.h) {
      const j = (b.gateway.get(id).body as OrderRecord).toJSON();
      assert.deepEqual([j.status, j.reason], ['cancelled', 'halted'], `order ${id}`);
    }
    for (const id of ids.other) assert.equal((b.gateway.get(id).body as OrderRecord).toJSON().status, 'new');
    assert.ok(
      lines.some((l) => l.includes('cancelled 3 open orders of halted accounts')),
      lines.join('\n'),
    );
    const refused = await b.gateway.submit({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 98,
      account: 'h',
    });
    assert.equal(refused.status, 403);
    await b.router.shards[0].log!.flush();
    const hash = stateHash(b);
    // the cancels are in the journal: another restart (kill -9 again) has them, and cancels nothing more
    lines.length = 0;
    const c = open(dir);
    assert.equal(stateHash(c), hash);
    assert.ok(!lines.some((l) => l.includes('of halted accounts')), lines.join('\n'));
  });
});
