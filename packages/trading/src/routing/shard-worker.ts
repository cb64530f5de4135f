/**
 * Worker-thread entry of a WorkerShard (started through spawnTsWorker, @tickstorm/protocol). It owns a
 * MatchingEngine, a LocalShard (sequencer, optional input log) and the consumer end of the
 * command ring / producer end of the result ring. Single-threaded loop: take a command,
 * apply it, publish its result; when idle it may busy-poll (adaptive, below), then Atomics.wait.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { InstrumentTable } from '@tickstorm/protocol';
import { MatchingEngine } from '../book/matching-engine.ts';
import {
  COMMAND_RECORD_SIZE,
  CommandKind,
  CommandRecord,
  decodeCommand,
} from '../sequencing/command-codec.ts';
import { InputLogWriter } from '../sequencing/input-log-writer.ts';
import { LocalShard } from './local-shard.ts';
import { SpscRing } from './ring-buffer.ts';
import { encodeResult, RESULT_RECORD_SIZE, ShardResult } from './shard-result.ts';
import type { ShardWorkerData } from './worker-shard-options.ts';

const data = workerData as ShardWorkerData;
const port = parentPort!;
const engine = new MatchingEngine(new InstrumentTable(data.instruments), data.engine);
const log = data.logPath === null ? undefined : InputLogWriter.open(data.logPath, data.log);
const shard = new LocalShard(engine, { index: data.index, log });
const commands = new SpscRing(data.commandRing, COMMAND_RECORD_SIZE);
const results = new SpscRing(data.resultRing, RESULT_RECORD_SIZE);
const spinMs = data.spinMicros / 1000;
const rec = new CommandRecord();
const control = new ShardResult();
const nap = new Int32Array(1);

port.postMessage({ type: 'ready', lastSeq: shard.sequencer.lastSeq });

function publish(r: ShardResult): void {
  let off = results.claim();
  // The main side bounds in-flight commands by the ring capacity, so this does not loop.
  while (off < 0) {
    Atomics.wait(nap, 0, 0, 0.05);
    off = results.claim();
  }
  encodeResult(results.view, off, r);
  results.publish();
}

function runControl(kind: number): boolean {
  control.kind = kind;
  control.seq = shard.sequencer.lastSeq;
  control.result = 0;
  if (kind === CommandKind.CTL_SNAPSHOT) port.postMessage({ type: 'snapshot', data: shard.snapshot() });
  else if (kind === CommandKind.CTL_FLUSH) log?.flushSync();
  else if (kind === CommandKind.CTL_CLOSE) log?.closeSync();
  publish(control);
  return kind !== CommandKind.CTL_CLOSE;
}

/**
 * Spin, then sleep. An idle period first busy-polls up to `spinMicros` for the next
 * command; if none comes, the worker sleeps and skips polling for the next SPIN_BACKOFF
 * idle periods: commands are sparse, or the sender lacks CPU, and either way polling
 * would only burn CPU (which the scheduler then makes this thread pay back as slower
 * wake-ups, or takes from the sender).
 */
const SPIN_BACKOFF = 32;
let spinSkip = 0;
for (;;) {
  let off = commands.peek();
  if (off < 0) {
    if (spinSkip > 0) spinSkip--;
    else if (spinMs > 0) {
      const until = performance.now() + spinMs;
      while ((off = commands.peek()) < 0 && performance.now() < until) {}
      if (off < 0) spinSkip = SPIN_BACKOFF;
    }
    if (off < 0) {
      commands.waitSync();
      continue;
    }
  }
  decodeCommand(commands.view, off, rec);
  commands.release();
  if (rec.kind >= CommandKind.CTL_SNAPSHOT) {
    if (!runControl(rec.kind)) break;
    continue;
  }
  publish(shard.apply(rec));
}
