import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InstrumentTable } from '@tickstorm/protocol';
import { OrderType, Side } from '../src/domain/enums.ts';
import { OrderStatus } from '../src/domain/order-status.ts';
import { TradingErrorCode } from '../src/errors.ts';
import { WorkerShard } from '../src/routing/worker-shard.ts';
import { scanInputLog } from '../src/sequencing/input-log-reader.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-worker-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const AAPL = new InstrumentTable().get('AAPL').index;
const code = (c: string) => (e: { code?: string }) => e.code === c;

describe('WorkerShard', () => {
  it('matches in the worker, logs there, flushes on request and resumes the sequence', async () => {
    const logPath = join(dir, 'w.log');
    const w = await WorkerShard.start({ logPath, index: 3 });
    assert.equal(w.resumedSeq, 0);
    try {
      const maker = await w.submit(AAPL, Side.SELL, OrderType.LIMIT, 10_000, 10, 1);
      const taker = await w.submit(AAPL, Side.BUY, OrderType.MARKET, 0, 4, 2);
      assert.deepEqual([maker.seq, maker.status, maker.remainingQty], [1, OrderStatus.NEW, 10]);
      assert.deepEqual(
        [taker.seq, taker.status, taker.filledQty, taker.filledNotional, taker.trades],
        [2, OrderStatus.FILLED, 4, 40_000, 1],
      );
      const [c1, c2] = await Promise.all([w.cancel(maker.result), w.cancel(maker.result)]);
      assert.deepEqual([c1.result, c1.status, c1.filledQty, c2.result], [0, OrderStatus.CANCELLED, 4, 1]);
      const bad = await w.setLastPrice(-1, 10);
      assert.ok(bad.result < 0);
      await w.flush();
      assert.equal(scanInputLog(logPath).lastSeq, 4, 'flushed while the worker runs');
    } finally {
      await w.close();
    }
    await w.close();
    await assert.rejects(
      w.submit(AAPL, Side.BUY, OrderType.LIMIT, 1, 1, 1),
      code(TradingErrorCode.SHUTTING_DOWN),
    );

    const again = await WorkerShard.start({ logPath });
    try {
      assert.equal(again.resumedSeq, 4);
      assert.equal((await again.setLastPrice(AAPL, 10_001)).seq, 5);
    } finally {
      await again.close();
    }
  });

  it('refuses commands beyond its ring capacity with TRD_ERR_OVERLOADED', async () => {
    // No polling: results are then only taken in a later task, so the burst is deterministic.
    const w = await WorkerShard.start({ capacity: 2, spinMicros: 0 });
    try {
      const a = w.submit(AAPL, Side.BUY, OrderType.LIMIT, 9_000, 1, 1);
      const b = w.submit(AAPL, Side.BUY, OrderType.LIMIT, 9_001, 1, 1);
      await assert.rejects(
        w.submit(AAPL, Side.BUY, OrderType.LIMIT, 9_002, 1, 1),
        code(TradingErrorCode.OVERLOADED),
      );
      assert.deepEqual(
        (await Promise.all([a, b])).map((r) => r.seq),
        [1, 2],
      );
      assert.equal(w.inFlight, 0);
      assert.equal((await w.submit(AAPL, Side.BUY, OrderType.LIMIT, 9_003, 1, 1)).seq, 3);
    } finally {
      await w.close();
    }
  });

  it('refuses bad options, and a corrupt log at start with its coded error', async () => {
    await assert.rejects(WorkerShard.start({ capacity: 3 }), code(TradingErrorCode.INVALID_CONFIG));
    await assert.rejects(WorkerShard.start({ spinMicros: -1 }), code(TradingErrorCode.INVALID_CONFIG));
    const bad = join(dir, 'bad.log');
    writeFileSync(bad, Buffer.alloc(100, 7));
    await assert.rejects(WorkerShard.start({ logPath: bad }), code(TradingErrorCode.LOG_CORRUPT));
  });

  it('runs from plain node with tsx registered by API (the CLI path), and never holds the process open', async () => {
    const script = (close: boolean) => `
      import { register } from 'tsx/esm/api';
      register();
      const { WorkerShard } = await import(${JSON.stringify(new URL('../src/routing/worker-shard.ts', import.meta.url).href)});
      const w = await WorkerShard.start({ workerSpinMicros: 0 });
      const r = await w.submit(50, 0, 0, 10000, 5, 1);
      process.stdout.write(JSON.stringify({ seq: r.seq, status: r.status }));
      ${close ? 'await w.close();' : '/* no close: the idle worker is unref-ed */'}
    `;
    const run = (close: boolean) =>
      new Promise<{ status: number | null; out: string; err: string }>((resolve) => {
        const env = { ...process.env };
        delete env.NODE_TEST_CONTEXT; // else the child node thinks it is a test file
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(close)], {
          cwd: root,
          env,
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (status) => resolve({ status, out, err }));
      });
    for (const res of await Promise.all([run(true), run(false)])) {
      assert.equal(res.status, 0, res.err);
      assert.deepEqual(JSON.parse(res.out), { seq: 1, status: OrderStatus.NEW });
    }
  });
});
