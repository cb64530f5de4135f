/**
 * A process killed more often than its snapshot interval (a crash loop): before, every start
 * replayed the whole journal tail since the last snapshot again, and that tail grew at each
 * cycle (kill -9 every 3 s with the default 60 s interval: 1,037 records replayed at the
 * second start, 8,021 at the eighth), so the start got slower without bound. A start that
 * replays at least `recoverySnapshotRecords` records now writes a snapshot at once: the next
 * start after another crash replays only what came after it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { stateHash } from '../src/system/state-hash.ts';
import { TradingCore } from '../src/system/trading-core.ts';

const root = mkdtempSync(join(tmpdir(), 'tickstorm-crashloop-'));
after(() => rmSync(root, { recursive: true, force: true }));
const instruments = new InstrumentTable();
const lines: string[] = [];

function open(dataDir: string): TradingCore {
  return new TradingCore({
    instruments,
    dataDir,
    snapshotIntervalMs: 3_600_000,
    recoverySnapshotRecords: 50,
    report: (l) => lines.push(l),
  });
}

async function place(core: TradingCore, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await core.gateway.submit({
      symbol: 'AAPL',
      side: i % 2 === 0 ? 'buy' : 'sell',
      type: 'limit',
      quantity: 1,
      price: i % 2 === 0 ? 90 + (i % 5) : 110 + (i % 5),
      account: 'acct',
      clientOrderId: `${tag}-${i}`,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
}

describe('crash loop shorter than the snapshot interval', () => {
  it('a start that replayed a long tail snapshots it: the next start does not replay it again', async () => {
    const dir = join(root, 'd');
    const a = open(dir);
    await place(a, 120, 'a');
    const hashA = stateHash(a);
    // a crash: nothing closed, no snapshot yet (the interval is an hour)
    const b = open(dir);
    assert.equal(b.recovery.snapshot, null);
    assert.equal(b.recovery.replayed, 120);
    assert.equal(stateHash(b), hashA);
    assert.ok(
      readdirSync(dir).some((f) => /^snapshot-\d{16}\.tks$/.test(f)),
      `a snapshot at the start: ${readdirSync(dir).join(' ')}`,
    );
    assert.ok(lines.some((l) => l.startsWith('snapshot of the 120 replayed journal records written')));
    await place(b, 10, 'b');
    const hashB = stateHash(b);
    // a second crash: only the 10 orders after the start's snapshot are replayed
    const c = open(dir);
    assert.notEqual(c.recovery.snapshot, null);
    assert.equal(c.recovery.replayed, 10);
    assert.equal(stateHash(c), hashB);
    await c.close();
    await b.close().catch(() => {});
    await a.close().catch(() => {});
  });
});
