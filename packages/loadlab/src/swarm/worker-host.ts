/**
 * A UserHost in a worker thread (see swarm-worker.ts). `WorkerUserHost.start` resolves once
 * the thread has loaded the user file, and rejects if it fails to. A thread that dies later
 * (an error, an exit) is reported once through `onDeath`; its last snapshot stays readable
 * and `stop()` no longer waits for it.
 */
import type { Worker } from 'node:worker_threads';
import { spawnTsWorker } from '@tickstorm/protocol';
import { LabError, LabErrorCode } from '../errors.ts';
import type { RawSlice } from '../stats/timeline.ts';
import type { FromSwarmWorker, ToSwarmWorker, WorkerHostData } from './swarm-protocol.ts';
import type { UserNotice } from './user-control.ts';
import type { HostSnapshot, UserHost } from './user-host.ts';

const ENTRY = new URL('./swarm-worker.ts', import.meta.url);

const noStats = (s: HostSnapshot): HostSnapshot => ({
  ...s,
  stats: { entries: [], failures: [] },
  exceptions: [],
});

export class WorkerUserHost implements UserHost {
  private latest: HostSnapshot = noStats({
    stats: { entries: [], failures: [] },
    exceptions: [],
    users: 0,
    usersByClass: [],
  });
  private dead = false;
  private stopAsked = false;
  private stopped: Promise<void> | null = null;
  private onStopped: (() => void) | null = null;
  notify?: (n: UserNotice) => void;

  private constructor(private readonly worker: Worker) {}

  static start(
    data: WorkerHostData,
    onRaw: (s: RawSlice) => void,
    onDeath: (message: string) => void,
  ): Promise<WorkerUserHost> {
    const worker = spawnTsWorker(ENTRY, { workerData: { ...data } });
    const host = new WorkerUserHost(worker);
    return new Promise((resolve, reject) => {
      let ready = false;
      const died = (message: string) => {
        if (host.dead) return;
        host.dead = true;
        host.onStopped?.();
        if (!ready) reject(new LabError(LabErrorCode.WORKER_CRASH, message));
        else if (!host.stopAsked) onDeath(message);
      };
      worker.on('message', (m: FromSwarmWorker) => {
        if (m.type === 'ready') {
          ready = true;
          resolve(host);
        } else if (m.type === 'slice') onRaw(m.slice);
        else if (m.type === 'snapshot') host.latest = m.snapshot;
        else if (m.type === 'notice') host.notify?.(m.notice);
        else if (m.type === 'stopped') {
          host.latest = m.snapshot;
          host.onStopped?.();
        } else if (m.type === 'error') {
          died(m.message);
          void worker.terminate();
        }
      });
      worker.on('error', (e) => died(e.stack ?? e.message));
      worker.on('exit', (code) => died(`the worker thread exited (code ${code})`));
    });
  }

  private send(m: ToSwarmWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }
  spawn(cls: number, userId: number, host: string): void {
    this.send({ type: 'spawn', cls, userId, host });
  }
  retire(cls: number): void {
    this.send({ type: 'retire', cls });
  }
  resetStats(): void {
    // the next snapshot (within a second) is post-reset; until then show none
    this.latest = noStats(this.latest);
    this.send({ type: 'reset' });
  }
  snapshot(): HostSnapshot {
    return this.latest;
  }
  stop(): Promise<void> {
    this.stopAsked = true;
    if (this.dead) return Promise.resolve();
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
