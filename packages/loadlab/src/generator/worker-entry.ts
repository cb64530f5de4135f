/**
 * A generator worker thread (started by runScenario through spawnTsWorker, @tickstorm/protocol): imports the
 * script module, prepares its share, says 'ready', starts at the parent's epoch, streams
 * closed seconds raw ('slice', arrays transferred), and ends with 'done' carrying its
 * outcome and an exact stats snapshot. 'stop' from the parent ends starting early; 'halt'
 * ends the run at once (its iterations in flight interrupted).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RequestStats } from '../stats/request-stats.ts';
import { prepareThread, type ThreadInit, type ThreadProgress } from './run-thread.ts';
import { loadScript } from './script.ts';
import type { FromWorker, ToWorker } from './worker-protocol.ts';

const data = workerData as ThreadInit<unknown> & { module: string; export?: string };
const port = parentPort!;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const factory = await loadScript({ module: data.module, export: data.export });
  const prep = await prepareThread(factory, data);
  let stats: RequestStats | undefined;
  let progress: () => ThreadProgress = () => ({ counters: {}, trends: [], completed: 0, dropped: 0 });
  port.on('message', (m: ToWorker) => {
    if (m.type === 'stop') {
      prep.stop();
      return;
    }
    if (m.type === 'halt') {
      prep.halt();
      return;
    }
    if (m.type === 'snapshot') {
      post({
        type: 'snapshot',
        snapshot: stats?.snapshot() ?? { entries: [], failures: [] },
        progress: progress(),
      });
      return;
    }
    prep
      .start(m.startEpochMs, {
        onStats: (s, _start, p) => {
          stats = s;
          progress = p;
        },
        onRawSlice: (s) =>
          post({ type: 'slice', slice: s }, [
            s.latency.idx.buffer as ArrayBuffer,
            s.latency.cnt.buffer as ArrayBuffer,
          ]),
      })
      .then((out) => {
        post({
          type: 'done',
          exec: { ...out.exec, startLag: out.exec.startLag.toSparse() },
          counters: out.counters,
          health: out.health,
          snapshot: out.stats.snapshot(),
          startEpochMs: out.startEpochMs,
          endEpochMs: out.endEpochMs,
        });
      })
      .catch((e: unknown) =>
        post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
      );
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
