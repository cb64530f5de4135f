/**
 * Central risk across an engine's kill -9 and restart on its data directory
 * (src/cluster/risk-ledger.ts): checks passed for the dead instance hold reservations; the
 * restarted instance says hello naming the same journal, so those are freed at once (its
 * state carries every order the dead one journalled), instead of counting as open quantity
 * for the 30 s TTL. An engine on another journal keeps its reservations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { RiskLedger } from '../src/cluster/risk-ledger.ts';
import type { RiskCheckRequest } from '../src/cluster/risk-wire.ts';
import { RiskEngine } from '../src/risk/risk-engine.ts';

const instruments = new InstrumentTable();
const A = instruments.list[0];

function open(ledger: RiskLedger, account: string): { openBuy: number; pos: number } {
  const risk = ledger.risk;
  const k = risk.accounts.indexOf(account) * risk.instruments.size + A.index;
  return { openBuy: risk.st.openBuy[k], pos: risk.st.pos[k] };
}

function check(res: string, lots: number): RiskCheckRequest {
  return {
    res,
    symbol: A.symbol,
    book: A.index,
    side: 0,
    type: 0,
    priceTicks: 10_000,
    lots,
    account: 'acct',
  };
}

/** The engine's state for the current epoch: `openBuy` lots resting for 'acct'. */
function state(ledger: RiskLedger, engine: string, openBuy: number): void {
  ledger.apply(engine, {
    k: 'state',
    epoch: ledger.epoch,
    part: 0,
    last: true,
    accounts: [{ account: 'acct', cells: [[A.index, 0, openBuy, 0]] }],
  });
}

describe('risk ledger: an engine restarted on its journal', () => {
  it("frees the dead instance's reservations when its successor says hello", () => {
    let now = 1_000;
    const ledger = new RiskLedger(new RiskEngine(instruments, undefined, () => now));
    const journal = 'host-1:/var/lib/ee-1';
    ledger.apply('e1', { k: 'hello', journal });
    ledger.resync();
    state(ledger, 'e1', 0);
    // two checks pass on e1: one order journalled (3 lots), one never placed (5 lots); then kill -9
    assert.equal(ledger.check(check('e1:1', 3)), 0);
    assert.equal(ledger.check(check('e1:2', 5)), 0);
    assert.equal(open(ledger, 'acct').openBuy, 8);
    // the restart: a new instance id, the same journal; its state holds the journalled order
    now += 2_000;
    ledger.apply('e2', { k: 'hello', journal });
    ledger.resync();
    state(ledger, 'e2', 3);
    assert.equal(open(ledger, 'acct').openBuy, 3, 'the journalled order once, the unplaced one not at all');
    assert.equal(ledger.stats().reservations, 0);
    assert.equal(ledger.stats().superseded, 2);
    assert.equal(ledger.rebuilding(), false, 'the rebuild does not wait for the dead instance');
  });

  it('keeps the reservations of an engine on another journal', () => {
    const ledger = new RiskLedger(new RiskEngine(instruments));
    ledger.apply('e1', { k: 'hello', journal: 'host-1:/a' });
    ledger.apply('f1', { k: 'hello', journal: 'host-1:/b' });
    ledger.resync();
    state(ledger, 'e1', 0);
    state(ledger, 'f1', 0);
    assert.equal(ledger.check(check('e1:1', 4)), 0);
    ledger.apply('f2', { k: 'hello', journal: 'host-1:/b' });
    ledger.resync();
    state(ledger, 'e1', 0);
    state(ledger, 'f2', 0);
    assert.equal(open(ledger, 'acct').openBuy, 4, "e1's order in flight still counts");
    assert.equal(ledger.stats().reservations, 1);
    // a hello without a journal (--no-input-log) frees nothing
    ledger.apply('g1', { k: 'hello' });
    assert.equal(ledger.stats().reservations, 1);
  });
});
