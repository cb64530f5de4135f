/**
 * Log replay equivalence: engine A runs a seeded random stream of 100,000 commands live
 * through a LocalShard that writes the input log; replaying the log into a fresh engine B
 * must give the same trades, order events, results and snapshot. Then the same commands
 * through a WorkerShard must give the same per-command results, snapshot and its own log.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { InstrumentTable } from '@tickstorm/protocol';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { LocalShard } from '../src/routing/local-shard.ts';
import type { ShardResult } from '../src/routing/shard-result.ts';
import { WorkerShard } from '../src/routing/worker-shard.ts';
import { CommandKind, CommandRecord } from '../src/sequencing/command-codec.ts';
import { readInputLog, scanInputLog } from '../src/sequencing/input-log-reader.ts';
import { InputLogWriter } from '../src/sequencing/input-log-writer.ts';
import { replayLog } from '../src/sequencing/replay.ts';
import { CommandStream, FlatRecorder } from './support/command-stream.ts';

const N = 100_000;
const instruments = new InstrumentTable();
const BOOKS = [0, 3, 7, 12, 50, 54];
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-replay-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const logA = join(dir, 'shard-a.log');
const logW = join(dir, 'shard-w.log');

/** Per command: seq, result, status, filledQty, filledNotional, remainingQty, trades. */
const WIDTH = 7;
function store(out: Float64Array, i: number, r: ShardResult): void {
  const o = i * WIDTH;
  out[o] = r.seq;
  out[o + 1] = r.result;
  out[o + 2] = r.status;
  out[o + 3] = r.filledQty;
  out[o + 4] = r.filledNotional;
  out[o + 5] = r.remainingQty;
  out[o + 6] = r.trades;
}

const liveResults = new Float64Array(N * WIDTH);
let engineA: MatchingEngine;
let recA: FlatRecorder;

describe('input log replay equivalence', () => {
  it(`rebuilds the same books, orders and fills from a ${N.toLocaleString()}-command log`, () => {
    recA = new FlatRecorder();
    const stream = new CommandStream({ seed: 20_241_123, books: BOOKS, accounts: 16 });
    recA.next = stream.tracker;
    engineA = new MatchingEngine(instruments, { listener: recA });
    const log = InputLogWriter.open(logA, { batchRecords: 512 });
    const shard = new LocalShard(engineA, { log });
    const cmd = new CommandRecord();
    for (let i = 0; i < N; i++) store(liveResults, i, shard.apply(stream.next(cmd)));
    log.closeSync();

    // The stream exercised every kind, with trades, cancels hitting, and stops firing.
    const c = stream.counts;
    assert.ok(
      c.limit > 40_000 && c.market > 8_000 && c.stop > 8_000 && c.cancel > 25_000 && c.last > 4_000,
      JSON.stringify(c),
    );
    assert.ok(recA.tradeCount > 20_000, `trades ${recA.tradeCount}`);
    assert.ok(engineA.liveOrders > 100, `live ${engineA.liveOrders}`);
    const fired = recA.statuses.filter((_, k) => k % 10 === 4).filter((prev) => prev === 6).length;
    assert.ok(fired > 1_000, `stops fired ${fired}`);
    assert.equal(liveResults[(N - 1) * WIDTH], N, 'gapless seqs 1..N');

    const recB = new FlatRecorder();
    const engineB = new MatchingEngine(instruments, { listener: recB });
    const stats = replayLog(logA, engineB);
    assert.deepEqual(
      [stats.records, stats.firstSeq, stats.lastSeq, stats.tornBatches, stats.batches],
      [N, 1, N, 0, Math.ceil(N / 512)],
    );
    assert.equal(recB.tradeCount, recA.tradeCount);
    assert.ok(
      Buffer.from(Float64Array.from(recB.trades).buffer).equals(
        Buffer.from(Float64Array.from(recA.trades).buffer),
      ),
    );
    assert.deepEqual(recB.statuses, recA.statuses);
    assert.deepEqual(engineB.snapshot(), engineA.snapshot());
  });

  it('a WorkerShard fed the same commands gives the same results, snapshot and log', async () => {
    const worker = await WorkerShard.start({ logPath: logW, log: { batchRecords: 512 }, capacity: 1024 });
    try {
      const got = new Float64Array(N * WIDTH);
      const window: Promise<ShardResult>[] = [];
      let i = 0;
      const drain = async () => {
        for (const r of await Promise.all(window.splice(0))) store(got, i++, r);
      };
      for (const c of readInputLog(logA)) {
        if (c.kind === CommandKind.NEW_ORDER)
          window.push(worker.submit(c.book, c.side, c.type, c.priceTicks, c.qty, c.account));
        else if (c.kind === CommandKind.CANCEL) window.push(worker.cancel(c.orderId));
        else window.push(worker.setLastPrice(c.book, c.priceTicks));
        if (window.length === 512) await drain();
      }
      await drain();
      assert.equal(i, N);
      assert.ok(
        Buffer.from(got.buffer).equals(Buffer.from(liveResults.buffer)),
        'per-command results differ',
      );
      assert.deepEqual(await worker.snapshot(), engineA.snapshot());
    } finally {
      await worker.close();
    }
    const scan = scanInputLog(logW);
    assert.deepEqual([scan.records, scan.lastSeq, scan.tornBatches], [N, N, 0]);
    const engineC = new MatchingEngine(instruments);
    replayLog(logW, engineC);
    assert.deepEqual(engineC.snapshot(), engineA.snapshot());
  });
});
