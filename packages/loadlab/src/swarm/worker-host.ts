/** A UserHost in a worker thread (see swarm-worker.ts). `WorkerUserHost.start` resolves once it is ready. */
import type { Worker } from 'node:worker_threads';
import { spawnTsWorker } from '@tickstorm/protocol';
import type { RawSlice } from '../stats/timeline.ts';
import type { FromSwarmWorker, ToSwarmWorker, WorkerHostData } from './swarm-protocol.ts';
import type { HostSnapshot, UserHost } from './user-host.ts';

const ENTRY = new URL('./swarm-worker.ts', import.meta.url);

const EMPTY: HostSnapshot = {
  stats: { entries: [], failures: [] },
  exceptions: [],
  users: 0,
  usersByClass: [],
};

export class WorkerUserHost implements UserHost {
  private latest: HostSnapshot = EMPTY;
  private stopped: Promise<void> | null = null;
  private onStopped: (() => void) | null = null;

  private constructor(private readonly worker: Worker) {}

  static start(
    data: WorkerHostData,
    onRaw: (s: RawSlice) => void,
    onError: (message: string) => void,
  ): Promise<WorkerUserHost> {
    const worker = spawnTsWorker(ENTRY, { workerData: { ...data } });
    const host = new WorkerUserHost(worker);
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: FromSwarmWorker) => {
        if (m.type === 'ready') {
          ready = true;
          resolve(host);
        } else if (m.type === 'slice') onRaw(m.slice);
        else if (m.type === 'snapshot') host.latest = m.snapshot;
        else if (m.type === 'stopped') {
          host.latest = m.snapshot;
          host.onStopped?.();
        } else if (m.type === 'error') {
          if (ready) onError(m.message);
          else reject(new Error(m.message));
        }
      });
      worker.on('error', (e) => (ready ? onError(e.message) : reject(e)));
      worker.on('exit', () => host.onStopped?.());
    });
  }

  private send(m: ToSwarmWorker): void {
    this.worker.postMessage(m);
  }
  spawn(cls: number, userId: number, host: string): void {
    this.send({ type: 'spawn', cls, userId, host });
  }
  retire(cls: number): void {
    this.send({ type: 'retire', cls });
  }
  resetStats(): void {
    this.send({ type: 'reset' });
  }
  snapshot(): HostSnapshot {
    return this.latest;
  }
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.onStopped = resolve;
      this.send({ type: 'stop' });
    });
    return this.stopped;
  }
  async close(): Promise<void> {
    await this.stop();
    await this.worker.terminate();
  }
}
