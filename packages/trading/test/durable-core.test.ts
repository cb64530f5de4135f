/**
 * Durability of the trading core: every acknowledged command is journalled (with its
 * account and clientOrderId) and a new core on the same data directory restores the same
 * state from the newest snapshot plus the journal after it; torn tails are cut and
 * reported, corruption refuses the start; journal write errors answer 503 and never
 * crash; a simulated power loss (the log cut at the writer's last fdatasync'd offset)
 * loses no acknowledged order.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { TradingErrorCode } from '../src/errors.ts';
import type { OrderRecord } from '../src/orders/order-record.ts';
import { FILE_HEADER_SIZE } from '../src/sequencing/input-log-format.ts';
import { stateHash } from '../src/system/state-hash.ts';
import { TradingCore, type TradingCoreOptions } from '../src/system/trading-core.ts';

const root = mkdtempSync(join(tmpdir(), 'tickstorm-durable-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const newDir = () => join(root, `d${dirs++}`);
const instruments = new InstrumentTable();
const lines: string[] = [];

function open(dataDir: string, o: Partial<TradingCoreOptions> = {}): TradingCore {
  return new TradingCore({
    instruments,
    dataDir,
    snapshotIntervalMs: 0,
    report: (l) => lines.push(l),
    ...o,
  });
}

/** A seeded PRNG so every run sends the same stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYMS = ['AAPL', 'MSFT', 'TSLA'];

/** A mixed stream: limit, market and stop orders, cancels and last prices; returns the acknowledged orders. */
async function traffic(
  core: TradingCore,
  n: number,
  seed: number,
  tag: string,
): Promise<Map<string, OrderRecord>> {
  const r = rng(seed);
  const acked = new Map<string, OrderRecord>();
  const live: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    const symbol = SYMS[Math.floor(r() * SYMS.length)];
    if (x < 0.1 && live.length > 0) {
      const id = live.splice(Math.floor(r() * live.length), 1)[0];
      await core.gateway.cancel(id);
      continue;
    }
    if (x < 0.15) {
      const book = instruments.get(symbol).index;
      core.setLastPrice(book, 9_900 + Math.floor(r() * 200));
      continue;
    }
    const type = x < 0.8 ? 'limit' : x < 0.9 ? 'market' : 'stop';
    const side = r() < 0.5 ? 'buy' : 'sell';
    const body: Record<string, unknown> = {
      symbol,
      side,
      type,
      quantity: 1 + Math.floor(r() * 5),
      clientOrderId: `${tag}-${i}`,
      account: `acct-${Math.floor(r() * 3)}`,
    };
    if (type !== 'market') body.price = (9_900 + Math.floor(r() * 200)) / 100;
    const reply = await core.gateway.submit(body);
    if (reply.status === 201) {
      const rec = reply.body as OrderRecord;
      acked.set(rec.id, rec);
      if (!rec.terminal) live.push(rec.id);
    }
  }
  return acked;
}

describe('durable trading core', () => {
  it('restarts into the same state: books, queues, records, positions, limits, clientOrderIds, ids', async () => {
    const dir = newDir();
    const a = open(dir);
    await a.updateLimits({ maxOrderQty: 5_000 });
    const acked = await traffic(a, 600, 1, 'r');
    assert.ok(acked.size > 300, `${acked.size} orders acknowledged`);
    const hash = stateHash(a);
    const maxId = Math.max(...[...acked.keys()].map(Number));
    // a crash: nothing closed, nothing snapshotted
    const b = open(dir);
    assert.equal(stateHash(b), hash, 'the journal alone rebuilds the state');
    assert.equal(b.recovery.snapshot, null);
    assert.equal(b.risk.getLimits().maxOrderQty, 5_000, 'the limit change was journalled');
    for (const id of acked.keys()) {
      const got = b.gateway.get(id);
      assert.equal(got.status, 200, `order ${id} is known after the restart`);
      // as before the crash (a 201 states the order at its acknowledgement; later fills since)
      assert.deepEqual(
        JSON.parse(JSON.stringify(got.body)),
        JSON.parse(JSON.stringify(a.gateway.get(id).body)),
      );
    }
    const dup = await b.gateway.submit({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 99,
      clientOrderId: 'r-3',
      account: (acked.values().next().value as OrderRecord).account,
    });
    const first = [...acked.values()].find((o) => o.clientOrderId === 'r-3');
    if (first !== undefined) {
      assert.equal(dup.status, 409);
      assert.equal((dup.body as { orderId: string }).orderId, first.id, 'the 409 names the original order');
    }
    const fresh = await b.gateway.submit({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 99,
    });
    assert.equal(fresh.status, 201);
    assert.ok(Number((fresh.body as OrderRecord).id) !== maxId && !acked.has((fresh.body as OrderRecord).id));
    await b.close();
    await a.close().catch(() => {});
  });

  it('a journal of --shards 2 with no snapshot: restarted with more shards refuses, not books emptied', async () => {
    const dir = newDir();
    const a = open(dir, { shards: 2 });
    const acked = await traffic(a, 200, 11, 'sh');
    const hash = stateHash(a);
    // a crash before any snapshot; the operator starts with another --shards
    for (const n of [3, 4]) {
      assert.throws(
        () => open(dir, { shards: n }),
        (err: unknown) =>
          (err as { code?: string }).code === TradingErrorCode.INVALID_CONFIG &&
          /another shard count/.test((err as Error).message) &&
          (err as Error).message.includes(`--shards ${n}`),
        `--shards ${n}`,
      );
    }
    assert.throws(() => open(dir, { shards: 1 }), /shard count it was written with/);
    // the journal untouched: the right count recovers every order
    const b = open(dir, { shards: 2 });
    assert.equal(stateHash(b), hash);
    for (const id of acked.keys()) assert.equal(b.gateway.get(id).status, 200, `order ${id}`);
  });

  it('open orders on a symbol without a reference keep their valuation across a restart', async () => {
    const dir = newDir();
    const a = open(dir);
    await a.updateLimits({ maxGrossExposure: 1_000 });
    const buy = (core: TradingCore, symbol: string, quantity: number, price: number) =>
      core.gateway.submit({ symbol, side: 'buy', type: 'limit', quantity, price, account: 'g' });
    assert.equal((await buy(a, 'SYM10', 5, 100)).status, 201);
    assert.equal((await buy(a, 'SYM10', 5, 100)).status, 201);
    const exposure = (core: TradingCore) => core.risk.grossExposure(core.accounts.indexOf('g'));
    assert.equal(exposure(a), 1_000);
    // Valued at zero after a restart, these 1,000 would let another 1,000 through.
    const check = async (core: TradingCore, how: string) => {
      assert.equal(exposure(core), 1_000, how);
      const more = await buy(core, 'SYM11', 1, 1);
      assert.equal(
        (more.body as { error?: { reason?: string } }).error?.reason,
        'GROSS_EXPOSURE_EXCEEDED',
        how,
      );
    };
    const b = open(dir); // a crash: nothing closed, nothing snapshotted
    assert.equal(b.recovery.snapshot, null);
    await check(b, 'the journal alone');
    await b.close(); // writes a snapshot of what it replayed
    await a.close().catch(() => {});
    const c = open(dir);
    assert.notEqual(c.recovery.snapshot, null);
    await check(c, 'a snapshot');
    await c.close();
  });

  it('without a reference, a cancelled order still prices the cell after a restart, as before it', async () => {
    const dir = newDir();
    const a = open(dir);
    await a.updateLimits({ maxGrossExposure: 1_000 });
    const buy = (core: TradingCore, quantity: number, price: number) =>
      core.gateway.submit({ symbol: 'SYM12', side: 'buy', type: 'limit', quantity, price, account: 'h' });
    const high = await buy(a, 5, 100);
    assert.equal((await buy(a, 5, 50)).status, 201);
    await a.gateway.cancel((high.body as { id: string }).id);
    const exposure = (core: TradingCore) => core.risk.grossExposure(core.accounts.indexOf('h'));
    assert.equal(exposure(a), 500, 'the open 5 valued at the 100 the cell was checked at');
    const hash = stateHash(a);
    const b = open(dir); // a crash: the journal alone
    assert.equal(exposure(b), 500, 'the journal alone');
    assert.equal(stateHash(b), hash, 'the journal alone');
    await b.close(); // writes a snapshot of what it replayed
    await a.close().catch(() => {});
    const c = open(dir);
    assert.notEqual(c.recovery.snapshot, null);
    assert.equal(exposure(c), 500, 'a snapshot');
    assert.equal(stateHash(c), hash, 'a snapshot');
    await c.close();
  });

  it("an off-tick order's priceAsked survives a restart, from the journal and from a snapshot", async () => {
    const dir = newDir();
    const a = open(dir);
    const placed = await a.gateway.submit({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 100.255,
      clientOrderId: 'asked-1',
    });
    const rec = JSON.parse(JSON.stringify(placed.body));
    assert.deepEqual([rec.price, rec.priceAsked], [100.25, 100.255]);
    const answer = (core: TradingCore) => JSON.parse(JSON.stringify(core.gateway.get(rec.id).body));
    const b = open(dir); // a crash: the journal alone
    assert.deepEqual(answer(b), rec, 'the journal alone');
    await b.close(); // writes a snapshot of what it replayed
    await a.close().catch(() => {});
    const c = open(dir);
    assert.notEqual(c.recovery.snapshot, null);
    assert.deepEqual(answer(c), rec, 'a snapshot');
    await c.close();
  });

  it('snapshot + journal tail equals a fresh replay of the whole journal; graceful stop snapshots', async () => {
    const dir = newDir();
    const a = open(dir, { retainSnapshots: 10 });
    await traffic(a, 400, 2, 's');
    const snap = a.snapshot();
    assert.ok(snap !== null && existsSync(snap));
    assert.ok(
      readdirSync(dir).some((f) => /^input-log-0\.seg-\d{16}\.bin$/.test(f)),
      'the active log rotated into a segment',
    );
    await traffic(a, 400, 3, 't');
    const hash = stateHash(a);
    const b = open(dir);
    assert.equal(b.recovery.snapshot, snap);
    assert.ok(b.recovery.replayed > 0);
    assert.equal(stateHash(b), hash, 'snapshot + tail');
    await b.close();
    // fresh replay of everything: the same directory without its snapshots
    const copy = newDir();
    cpSync(dir, copy, { recursive: true });
    for (const f of readdirSync(copy)) if (f.endsWith('.tks')) rmSync(join(copy, f));
    const c = open(copy);
    assert.equal(c.recovery.snapshot, null);
    assert.equal(stateHash(c), hash, 'a fresh replay of the journal');
    await c.close();
    // b's close wrote a snapshot (its journal had moved? no: then none is needed) — restart once more
    const d = open(dir);
    assert.equal(stateHash(d), hash);
    await d.close();
    await a.close().catch(() => {});
  });

  it("the journal's sync count (GET /health) covers the whole run: a snapshot's rotation does not reset it", async () => {
    const dir = newDir();
    const a = open(dir);
    await traffic(a, 50, 4, 'r');
    const before = a.journalStats().syncs;
    assert.ok(before > 0, 'fsync durability synced');
    assert.ok(a.snapshot() !== null);
    assert.ok(a.journalStats().syncs >= before, `${a.journalStats().syncs} after ${before}`);
    await traffic(a, 50, 5, 'q');
    assert.ok(a.journalStats().syncs > before);
    await a.close();
  });

  it('prunes old snapshots and the segments only they needed', async () => {
    const dir = newDir();
    const a = open(dir, { retainSnapshots: 2 });
    for (let i = 0; i < 5; i++) {
      await traffic(a, 50, 10 + i, `p${i}`);
      a.snapshot();
    }
    const files = readdirSync(dir);
    assert.equal(files.filter((f) => f.endsWith('.tks')).length, 2);
    assert.ok(files.filter((f) => f.includes('.seg-')).length <= 2, files.join(' '));
    const hash = stateHash(a);
    await a.close();
    const b = open(dir);
    assert.equal(stateHash(b), hash);
    await b.close();
  });

  it('cuts a torn tail and reports it; refuses corruption in the middle, naming the file and offset', async () => {
    const dir = newDir();
    const a = open(dir);
    const acked = await traffic(a, 200, 4, 'x');
    const hash = stateHash(a);
    const log = join(dir, 'input-log-0.bin');
    const size = statSync(log).size;
    appendFileSync(log, Buffer.from([0x42, 0x54, 0x43, 0x32, 9, 9, 9])); // a batch cut short
    lines.length = 0;
    const b = open(dir);
    assert.equal(stateHash(b), hash);
    assert.equal(b.recovery.torn.length, 1);
    assert.equal(b.recovery.torn[0].at, size);
    assert.ok(lines.some((l) => l.includes('torn tail') && l.includes(`byte ${size}`)));
    assert.equal(statSync(log).size, size, 'the torn bytes are cut');
    await b.close();
    assert.ok(acked.size > 0);
    // flip a byte inside the first batch: corruption, not a torn tail
    const bytes = readFileSync(log);
    bytes[FILE_HEADER_SIZE + 40] ^= 0xff;
    writeFileSync(log, bytes);
    for (const f of readdirSync(dir)) if (f.endsWith('.tks')) rmSync(join(dir, f));
    assert.throws(
      () => open(dir),
      (e: { code?: string; message: string }) =>
        e.code === TradingErrorCode.LOG_CORRUPT && e.message.includes(log) && /at byte \d+/.test(e.message),
    );
    await a.close().catch(() => {});
  });

  it('--fresh moves the old state aside and never repeats an order id', async () => {
    const dir = newDir();
    const a = open(dir);
    const acked = await traffic(a, 100, 5, 'f');
    a.snapshot();
    const more = await traffic(a, 100, 6, 'g');
    await a.close();
    const b = open(dir, { fresh: true });
    assert.ok(b.recovery.movedAside !== null && existsSync(b.recovery.movedAside));
    assert.equal(b.liveOrders(), 0);
    assert.equal(b.store.size, 0);
    const r = await b.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 99 });
    assert.equal(r.status, 201);
    const id = (r.body as OrderRecord).id;
    assert.ok(!acked.has(id) && !more.has(id), `new id ${id} is not an old one`);
    const oldMax = Math.max(...[...acked.keys(), ...more.keys()].map(Number));
    assert.ok(Number(id) > oldMax, `${id} > ${oldMax}`);
    await b.close();
  });

  it('a journal write error answers 503 with Retry-After and a code, keeps reads, never crashes', async () => {
    const dir = newDir();
    const a = open(dir);
    const ok = await a.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 99 });
    assert.equal(ok.status, 201);
    const log = a.router.shards[0].log!;
    const enospc = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    log.fault = (op) => (op === 'write' ? enospc : undefined);
    const r = await a.gateway.submit({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 98,
      clientOrderId: 'nospace',
    });
    assert.equal(r.status, 503);
    assert.equal(r.headers?.['retry-after'], '1');
    assert.equal((r.body as { error: { code: string } }).error.code, TradingErrorCode.JOURNAL_UNAVAILABLE);
    assert.equal(a.gateway.get((ok.body as OrderRecord).id).status, 200, 'reads are served');
    a.setLastPrice(instruments.get('AAPL').index, 9_950); // the last-price path does not throw
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.ok(a.journalStats().writeErrors > 0);
    // the disk has room again: the buffered records are written, the retry learns the order's fate
    log.fault = null;
    const retry = await a.gateway.submit({
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      quantity: 1,
      price: 98,
      clientOrderId: 'nospace',
    });
    assert.equal(retry.status, 409);
    await a.gateway.commitShard(0); // (also retried on a timer)
    const hash = stateHash(a);
    const b = open(dir);
    assert.equal(stateHash(b), hash, 'the order refused with 503 reached the journal once the disk had room');
    await b.close();
    // EIO on fdatasync: the journal refuses everything after it (until a restart)
    const eio = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    a.router.shards[0].log!.fault = (op) => (op === 'sync' ? eio : undefined);
    const r2 = await a.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 97 });
    assert.equal(r2.status, 503);
    const r3 = await a.gateway.submit({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 97 });
    assert.equal(r3.status, 503);
    assert.equal(a.journalStats().healthy, false);
    await a.close().catch(() => {});
  });

  it('a simulated power loss (log cut at the last fdatasync) loses no acknowledged order', async () => {
    for (let round = 0; round < 20; round++) {
      const dir = newDir();
      const a = open(dir);
      const r = rng(100 + round);
      const acked = new Set<string>();
      const pending: Promise<void>[] = [];
      let cut: { bytes: Buffer; acked: Set<string> } | null = null;
      const cutAt = 20 + Math.floor(r() * 200);
      for (let i = 0; i < 300; i++) {
        const body = {
          symbol: SYMS[i % 3],
          side: r() < 0.5 ? 'buy' : 'sell',
          type: 'limit',
          quantity: 1 + Math.floor(r() * 3),
          price: (9_950 + Math.floor(r() * 100)) / 100,
          clientOrderId: `pl-${i}`,
        };
        pending.push(
          a.gateway.submit(body).then((rep) => {
            if (rep.status === 201) acked.add((rep.body as OrderRecord).id);
          }),
        );
        if (i === cutAt) {
          // "power loss" at a random moment: what the disk is guaranteed to hold
          await Promise.race(pending);
          const log = a.router.shards[0].log!;
          cut = { bytes: readFileSync(log.path).subarray(0, log.syncedOffset), acked: new Set(acked) };
        }
        if (i % 17 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await Promise.all(pending);
      assert.ok(cut !== null);
      const copy = newDir();
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, 'input-log-0.bin'), cut.bytes);
      const b = open(copy);
      for (const id of cut.acked)
        assert.equal(b.gateway.get(id).status, 200, `round ${round}: ${id} survived`);
      await b.close();
      await a.close();
    }
  });

  it('truncating to a smaller offset than the writer synced is a torn tail, not a silent loss', () => {
    const dir = newDir();
    const a = open(dir);
    const log = a.router.shards[0].log!;
    for (let i = 0; i < 10; i++) log.appendSetLastPrice(1, 100 + i);
    log.flushSync();
    assert.equal(log.syncedOffset, statSync(log.path).size);
    truncateSync(log.path, log.syncedOffset - 3);
    const b = open(newDir());
    assert.equal(b.liveOrders(), 0);
  });
});
