/**
 * A worker-thread host (`--processes N`): imports the user file again, runs the users the
 * swarm spawns here, streams closed seconds raw and a cumulative snapshot every second,
 * and answers 'stop' with its final snapshot.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FromSwarmWorker, ToSwarmWorker, WorkerHostData } from './swarm-protocol.ts';
import { events } from './test-events.ts';
import { loadUserFile, pickClasses } from './user-file.ts';
import { HostCore } from './user-host.ts';

const data = workerData as WorkerHostData;
const port = parentPort!;
const post = (m: FromSwarmWorker) => port.postMessage(m);
const fail = (e: unknown) =>
  post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });

try {
  const file = await loadUserFile(data.file);
  const core = new HostCore(
    pickClasses(file, data.classNames),
    data,
    (slice) => post({ type: 'slice', slice }),
    (notice) => post({ type: 'notice', notice }),
  );
  // Locust's test_start on this node (this thread's copy of the user file's events)
  await events.test_start.fire(core.runner.environment);
  const pusher = setInterval(() => post({ type: 'snapshot', snapshot: core.snapshot() }), 1000);
  port.on('message', (m: ToSwarmWorker) => {
    if (m.type === 'spawn') core.runner.spawn(m.cls, m.userId, m.host);
    else if (m.type === 'retire') core.runner.retire(m.cls);
    else if (m.type === 'reset') core.resetStats();
    else if (m.type === 'stop') {
      clearInterval(pusher);
      core
        .stop()
        .then(async (snapshot) => {
          await events.test_stop.fire(core.runner.environment);
          post({ type: 'stopped', snapshot });
          await core.close();
          port.close();
        })
        .catch(fail);
    }
  });
  post({ type: 'ready' });
} catch (e) {
  fail(e);
}
