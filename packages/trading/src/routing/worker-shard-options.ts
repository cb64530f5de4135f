/** Options of a WorkerShard and the (structured-clonable) data its worker starts from. */
import { defaultInstrumentSpecs, type InstrumentSpec } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { COMMAND_RECORD_SIZE } from '../sequencing/command-codec.ts';
import { SpscRing } from './ring-buffer.ts';
import { RESULT_RECORD_SIZE } from './shard-result.ts';

export interface WorkerShardOptions {
  index?: number;
  instruments?: InstrumentSpec[];
  engine?: { initialCapacity?: number; ladderTicks?: number };
  /** Input log of this shard, written by the worker (resumed if it exists). */
  logPath?: string;
  log?: { batchRecords?: number; fsync?: boolean };
  /** Ring capacity = max commands in flight, a power of two (default 1024). */
  capacity?: number;
  /**
   * Busy-polling, for a worker and a main thread that each own a CPU. Both default to 0:
   * sleep at once (Atomics.wait / Atomics.waitAsync), a few microseconds per wake-up and
   * no wasted CPU; robust when CPUs are shared (measured: p50 ~5 us, p99 ~11 us per round
   * trip on a 2-vCPU box under a load average of ~9). With free CPUs, e.g. spinMicros 50
   * and workerSpinMicros 500, a round trip measured p50 ~0.9 us, p99 ~1.5 us; on a busy box
   * the same settings make p99 far worse (hundreds of us), since a spinning thread takes the
   * CPU the other one needs. Polls that time out back off (see shard-worker.ts, send()).
   *
   * workerSpinMicros: the worker polls this long for the next command before sleeping.
   */
  workerSpinMicros?: number;
  /**
   * This thread polls this long for the result of a command sent while no other is awaited,
   * before waiting asynchronously. It blocks the event loop for at most that long.
   */
  spinMicros?: number;
}

export const DEFAULT_CAPACITY = 1024;
export const DEFAULT_SPIN_MICROS = 0;
export const DEFAULT_WORKER_SPIN_MICROS = 0;

/** What the worker (routing/shard-worker.ts) receives as workerData. */
export interface ShardWorkerData {
  index: number;
  instruments: InstrumentSpec[];
  engine: { initialCapacity?: number; ladderTicks?: number };
  logPath: string | null;
  log: { batchRecords?: number; fsync?: boolean };
  commandRing: SharedArrayBuffer;
  resultRing: SharedArrayBuffer;
  spinMicros: number;
}

/** Validates the options and allocates the two rings. */
export function shardWorkerData(opts: WorkerShardOptions): ShardWorkerData {
  const capacity = opts.capacity ?? DEFAULT_CAPACITY;
  if (!Number.isInteger(capacity) || capacity < 1 || (capacity & (capacity - 1)) !== 0) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `capacity must be a power of two, got ${capacity}`,
    );
  }
  for (const [name, v] of [
    ['spinMicros', opts.spinMicros],
    ['workerSpinMicros', opts.workerSpinMicros],
  ] as const) {
    if (v !== undefined && !(v >= 0 && v <= 1_000_000)) {
      throw new TradingError(TradingErrorCode.INVALID_CONFIG, `${name} must be 0..1000000, got ${v}`);
    }
  }
  return {
    index: opts.index ?? 0,
    instruments: opts.instruments ?? defaultInstrumentSpecs(),
    engine: opts.engine ?? {},
    logPath: opts.logPath ?? null,
    log: opts.log ?? {},
    commandRing: SpscRing.allocate(capacity, COMMAND_RECORD_SIZE),
    resultRing: SpscRing.allocate(capacity, RESULT_RECORD_SIZE),
    spinMicros: opts.workerSpinMicros ?? DEFAULT_WORKER_SPIN_MICROS,
  };
}
