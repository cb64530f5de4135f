/**
 * Snapshots an operator cannot trust: an unreadable newest snapshot (emptied, cut short, a bad
 * byte) is skipped for an older one plus the journal, with the same state; a crash right after
 * `--fresh` (before any scheduled snapshot) restarts onto the ids it acknowledged; `--fresh`
 * works over a damaged state; with no readable snapshot left the whole journal is replayed, in a
 * directory `--fresh` was used on onto the id base it recorded in `fresh-floor`, and a start
 * refuses when that base does not read (or was never recorded) rather than reissue old ids.
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../src/errors.ts';
import type { OrderRecord } from '../src/orders/order-record.ts';
import { stageFreshFloor } from '../src/persistence/fresh-floor.ts';
import { moveStateAside } from '../src/persistence/journal-dir.ts';
import { generationFloor } from '../src/persistence/snapshot-choice.ts';
import { stateHash } from '../src/system/state-hash.ts';
import { TradingCore, type TradingCoreOptions } from '../src/system/trading-core.ts';

const root = mkdtempSync(join(tmpdir(), 'tickstorm-snapfall-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(root, `d${dirs++}`);
const instruments = new InstrumentTable();
const lines: string[] = [];
const cores: TradingCore[] = [];
after(async () => {
  for (const c of cores) await c.close().catch(() => {});
});

function open(dataDir: string, o: Partial<TradingCoreOptions> = {}): TradingCore {
  const core = new TradingCore({
    instruments,
    dataDir,
    snapshotIntervalMs: 0,
    report: (l) => lines.push(l),
    ...o,
  });
  cores.push(core);
  return core;
}

/** Crossing limit orders (fills), a cancel every fifth; the acknowledged records by id. */
async function traffic(core: TradingCore, n: number, tag: string): Promise<Map<string, OrderRecord>> {
  const acked = new Map<string, OrderRecord>();
  for (let i = 0; i < n; i++) {
    const reply = await core.gateway.submit({
      symbol: i % 2 === 0 ? 'AAPL' : 'MSFT',
      side: i % 3 === 0 ? 'sell' : 'buy',
      type: 'limit',
      quantity: 1 + (i % 4),
      price: 99 + (i % 7) / 10,
      clientOrderId: `${tag}-${i}`,
      account: `acct-${i % 3}`,
    });
    assert.equal(reply.status, 201);
    const rec = reply.body as OrderRecord;
    acked.set(rec.id, rec);
    if (i % 5 === 4 && !rec.terminal) await core.gateway.cancel(rec.id);
  }
  return acked;
}

const snapshots = (dir: string) =>
  readdirSync(dir)
    .filter((f) => /^snapshot-\d{16}\.tks$/.test(f))
    .sort();

function damage(path: string, how: 'empty' | 'cut' | 'byte'): void {
  if (how === 'empty') writeFileSync(path, '');
  else if (how === 'cut') truncateSync(path, 100);
  else {
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([0xa5]), 0, 1, 200);
    closeSync(fd);
  }
}

const json = (x: unknown) => JSON.parse(JSON.stringify(x));

describe('snapshots that do not read, and --fresh', () => {
  for (const how of ['empty', 'cut', 'byte'] as const) {
    it(`an unreadable newest snapshot (${how}) is skipped for the older one plus the journal`, async () => {
      const dir = newDir();
      const a = open(dir);
      const first = await traffic(a, 60, `${how}1`);
      a.snapshot(); // rotates: the older snapshot needs the segment after it
      const second = await traffic(a, 60, `${how}2`);
      a.snapshot();
      const third = await traffic(a, 30, `${how}3`);
      const hash = stateHash(a);
      const snaps = snapshots(dir);
      assert.equal(snaps.length, 2);
      damage(join(dir, snaps[1]), how);
      // a crash: nothing closed
      lines.length = 0;
      const b = open(dir);
      assert.equal(stateHash(b), hash, 'the same state as before the crash');
      assert.equal(b.recovery.snapshot, join(dir, snaps[0]));
      for (const [id, rec] of [...first, ...second, ...third]) {
        const got = b.gateway.get(id);
        assert.equal(got.status, 200, `order ${id} after the restart`);
        assert.equal((got.body as OrderRecord).clientOrderId, rec.clientOrderId);
      }
      assert.ok(
        lines.some((l) => l.includes('unreadable snapshot skipped') && l.includes(snaps[1])),
        lines.join('\n'),
      );
      // kept aside for inspection, no longer a snapshot; the next one is readable again
      assert.ok(!existsSync(join(dir, snaps[1])));
      assert.ok(readdirSync(dir).some((f) => f.startsWith(`${snaps[1]}.unreadable-`)));
      const c = open(dir);
      assert.equal(stateHash(c), hash, 'and again at the next start');
    });
  }

  it('an unreadable snapshot whose older one and journal are gone refuses, naming both', () => {
    const dir = newDir();
    const a = open(dir, { retainSnapshots: 1 });
    return (async () => {
      await traffic(a, 40, 'g1');
      a.snapshot();
      await traffic(a, 40, 'g2');
      a.snapshot(); // the first snapshot and the segment before it are pruned
      const [only] = snapshots(dir);
      damage(join(dir, only), 'empty');
      assert.throws(
        () => open(dir),
        (err: unknown) =>
          err instanceof TradingError &&
          err.code === TradingErrorCode.LOG_CORRUPT &&
          /journal gap/.test(err.message) &&
          err.message.includes(only),
      );
      assert.ok(existsSync(join(dir, only)), 'a refused start renames nothing');
    })();
  });

  it('the only snapshot unreadable, the whole journal there: replayed from seq 1', async () => {
    const dir = newDir();
    const a = open(dir);
    const acked = await traffic(a, 50, 'w');
    const hash = stateHash(a);
    await a.close(); // a graceful stop: a snapshot, the log not rotated
    const [only] = snapshots(dir);
    damage(join(dir, only), 'byte');
    const b = open(dir);
    assert.equal(b.recovery.snapshot, null);
    assert.equal(stateHash(b), hash);
    for (const id of acked.keys()) assert.equal(b.gateway.get(id).status, 200);
  });

  it('a crash right after --fresh restarts onto the ids it acknowledged, never an old one', async () => {
    const dir = newDir();
    const a = open(dir);
    const old = await traffic(a, 40, 'o');
    await a.close();
    const b = open(dir, { fresh: true });
    const fresh = await traffic(b, 20, 'n');
    const hash = stateHash(b);
    // kill -9 before any scheduled snapshot: a new process on the same directory
    const c = open(dir);
    assert.equal(stateHash(c), hash);
    for (const [id, rec] of fresh) {
      const got = c.gateway.get(id);
      assert.equal(got.status, 200, `order ${id} acknowledged after --fresh`);
      assert.deepEqual(json(got.body), json(b.gateway.get(id).body));
      assert.equal((got.body as OrderRecord).clientOrderId, rec.clientOrderId);
    }
    const r = await c.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 90 });
    assert.equal(r.status, 201);
    const id = (r.body as OrderRecord).id;
    assert.ok(!old.has(id) && !fresh.has(id), `new id ${id} is not an earlier one`);
    const oldMax = Math.max(...[...old.keys()].map(Number));
    assert.ok(Number(id) > oldMax, `${id} > ${oldMax}`);
  });

  it('--fresh over an unreadable snapshot starts empty, above every old id; losing that snapshot then replays onto fresh-floor', async () => {
    const dir = newDir();
    const a = open(dir);
    const old = await traffic(a, 40, 'x');
    await a.close();
    damage(join(dir, snapshots(dir)[0]), 'empty');
    const b = open(dir, { fresh: true });
    assert.equal(b.liveOrders(), 0);
    const fresh = await traffic(b, 30, 'y');
    const hash = stateHash(b);
    const top = Math.max(...[...old.keys()].map(Number));
    for (const id of fresh.keys()) assert.ok(Number(id) > top, `${id} is above the old ids (${top})`);
    // the snapshot --fresh wrote unreadable, and (second pass) the moved state deleted too: the
    // journal since --fresh is replayed from seq 1 onto the base fresh-floor recorded, so every
    // acknowledged order keeps its id and no old id is issued again
    for (const dropPrevious of [false, true]) {
      if (dropPrevious) {
        for (const f of readdirSync(dir))
          if (f.startsWith('previous-')) rmSync(join(dir, f), { recursive: true });
      }
      for (const f of snapshots(dir)) damage(join(dir, f), 'empty');
      const c = open(dir);
      assert.equal(c.recovery.snapshot, null);
      assert.equal(
        stateHash(c),
        hash,
        `the state acknowledged after --fresh (previous-* deleted: ${dropPrevious})`,
      );
      for (const [id, rec] of fresh) {
        const got = c.gateway.get(id);
        assert.equal(got.status, 200, `order ${id}`);
        assert.deepEqual(json(got.body), json(b.gateway.get(id).body));
        assert.equal((got.body as OrderRecord).clientOrderId, rec.clientOrderId);
      }
      if (dropPrevious) {
        const r = await c.gateway.submit({
          symbol: 'AAPL',
          side: 'buy',
          type: 'limit',
          quantity: 1,
          price: 90,
        });
        const id = (r.body as OrderRecord).id;
        assert.ok(Number(id) > top && !fresh.has(id), `new id ${id} is neither old nor already issued`);
      } else await c.close(); // a graceful stop's snapshot, damaged again by the next pass
    }
  });

  it('no snapshot reads and fresh-floor does not either: the start refuses rather than reissue old ids', async () => {
    const dir = newDir();
    const a = open(dir);
    const old = await traffic(a, 40, 'z');
    await a.close();
    const top = Math.max(...[...old.keys()].map(Number));
    const b = open(dir, { fresh: true });
    await traffic(b, 10, 'zz');
    for (const f of readdirSync(dir))
      if (f.startsWith('previous-')) rmSync(join(dir, f), { recursive: true });
    const floor = join(dir, 'fresh-floor');
    for (const [content, snaps] of [
      ['', 'unreadable'],
      ['x7\n', 'unreadable'],
      ['99999999999\n', 'deleted'],
    ] as const) {
      writeFileSync(floor, content);
      for (const f of snapshots(dir)) {
        if (snaps === 'deleted') rmSync(join(dir, f));
        else damage(join(dir, f), 'cut');
      }
      assert.throws(
        () => open(dir),
        (err: unknown) =>
          err instanceof TradingError &&
          err.code === TradingErrorCode.LOG_CORRUPT &&
          err.message.includes(floor) &&
          /--fresh/.test(err.message),
        `fresh-floor ${JSON.stringify(content)}, snapshots ${snaps}`,
      );
    }
    // --fresh starts over it, above every id
    writeFileSync(floor, 'garbage');
    const c = open(dir, { fresh: true });
    const r = await c.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 90 });
    assert.ok(Number((r.body as OrderRecord).id) > top);
  });

  it('freshened before fresh-floor existed (previous-* only): no snapshot reading still refuses', async () => {
    const dir = newDir();
    const a = open(dir);
    await traffic(a, 20, 'l');
    await a.close();
    const b = open(dir, { fresh: true });
    await traffic(b, 10, 'm');
    rmSync(join(dir, 'fresh-floor'));
    for (const f of snapshots(dir)) damage(join(dir, f), 'empty');
    assert.throws(
      () => open(dir),
      (err: unknown) =>
        err instanceof TradingError &&
        err.code === TradingErrorCode.LOG_CORRUPT &&
        /--fresh/.test(err.message),
    );
  });

  it('a crash after --fresh moved the state aside and before its snapshot: ids stay above the old ones, and a second --fresh too', async () => {
    const dir = newDir();
    const a = open(dir);
    const old = await traffic(a, 40, 'x');
    await a.close();
    const top = Math.max(...[...old.keys()].map(Number));
    const b = open(dir, { fresh: true });
    await b.close();
    // the crash: the state is aside, the snapshot of the empty state never written
    for (const f of snapshots(dir)) rmSync(join(dir, f));
    const c = open(dir);
    const r = await c.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 90 });
    assert.equal(r.status, 201);
    const id = Number((r.body as OrderRecord).id);
    assert.ok(id > top, `${id} is above the old ids (${top})`);
    await c.close();
    // the same crash again, then --fresh once more: still above both
    for (const f of snapshots(dir)) rmSync(join(dir, f));
    const d = open(dir, { fresh: true });
    const r2 = await d.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 90 });
    assert.ok(Number((r2.body as OrderRecord).id) > id, `${(r2.body as OrderRecord).id} is above ${id}`);
  });

  it('--fresh cut short after it staged its floor, before the move: no start renumbers the journal still there', async () => {
    const dir = newDir();
    const a = open(dir);
    const acked = await traffic(a, 30, 'st');
    const hash = stateHash(a);
    // kill -9 (no snapshot), then a --fresh killed right after it staged its floor
    stageFreshFloor(dir, generationFloor(dir));
    // before: this start replayed the old journal onto that floor, every acknowledged id changed
    assert.throws(
      () => open(dir),
      (err: unknown) =>
        err instanceof TradingError &&
        err.code === TradingErrorCode.INVALID_CONFIG &&
        err.message.includes(join(dir, 'fresh-floor.next')),
    );
    // the operator keeps the state: the same ids
    rmSync(join(dir, 'fresh-floor.next'));
    const b = open(dir);
    assert.equal(stateHash(b), hash);
    for (const id of acked.keys()) assert.equal(b.gateway.get(id).status, 200, `order ${id}`);
    // or finishes the --fresh: empty, above every old id
    stageFreshFloor(dir, generationFloor(dir));
    const c = open(dir, { fresh: true });
    assert.equal(c.liveOrders(), 0);
    const r = await c.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 90 });
    const top = Math.max(...[...acked.keys()].map(Number));
    assert.ok(Number((r.body as OrderRecord).id) > top);
  });

  it('--fresh cut short while it moved the state: the refusal names the folder whose files must go back first', async () => {
    const dir = newDir();
    const a = open(dir);
    await traffic(a, 20, 'pm');
    await a.close(); // a snapshot; the orders below are only in the journal after it
    const b = open(dir);
    const acked = await traffic(b, 20, 'pn');
    const hash = stateHash(b);
    // kill -9, then a --fresh killed after it moved the journal and before the snapshot
    stageFreshFloor(dir, generationFloor(dir));
    const aside = join(dir, `previous-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(aside);
    renameSync(join(dir, 'input-log-0.bin'), join(aside, 'input-log-0.bin'));
    // before: "remove fresh-floor.next to keep the state as it is", which restored the
    // snapshot alone: every order acknowledged after it was gone (404)
    let message = '';
    assert.throws(
      () => open(dir),
      (err: unknown) => {
        message = (err as Error).message;
        return err instanceof TradingError && err.code === TradingErrorCode.INVALID_CONFIG;
      },
    );
    assert.ok(message.includes(`move the files ${aside} received back into ${dir}`), message);
    // as it says: the files back, the staged floor removed: the same state, the same ids
    renameSync(join(aside, 'input-log-0.bin'), join(dir, 'input-log-0.bin'));
    rmSync(join(dir, 'fresh-floor.next'));
    const c = open(dir);
    assert.equal(stateHash(c), hash);
    for (const id of acked.keys()) assert.equal(c.gateway.get(id).status, 200, `order ${id}`);
  });

  it('--fresh cut short after the move, before its floor was in force: the next start puts it in force', async () => {
    const dir = newDir();
    const a = open(dir);
    const acked = await traffic(a, 30, 'mv');
    const top = Math.max(...[...acked.keys()].map(Number));
    stageFreshFloor(dir, generationFloor(dir));
    assert.notEqual(moveStateAside(dir), null);
    lines.length = 0;
    const b = open(dir);
    assert.ok(
      lines.some((l) => l.includes('cut short after it moved the state aside')),
      lines.join('\n'),
    );
    assert.ok(existsSync(join(dir, 'fresh-floor')) && !existsSync(join(dir, 'fresh-floor.next')));
    const r = await b.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 90 });
    assert.ok(Number((r.body as OrderRecord).id) > top, 'above the moved state');
  });
});
