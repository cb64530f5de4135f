/** Messages between the swarm and its worker-thread hosts (structured clone). */
import type { RawSlice } from '../stats/timeline.ts';
import type { UserNotice } from './user-control.ts';
import type { HostInit, HostSnapshot } from './user-host.ts';

export interface WorkerHostData extends HostInit {
  file: string;
  classNames: string[];
}

export type ToSwarmWorker =
  | { type: 'spawn'; cls: number; userId: number; host: string }
  | { type: 'retire'; cls: number }
  | { type: 'reset' }
  | { type: 'stop' };

export type FromSwarmWorker =
  | { type: 'ready' }
  | { type: 'slice'; slice: RawSlice }
  | { type: 'snapshot'; snapshot: HostSnapshot }
  | { type: 'stopped'; snapshot: HostSnapshot }
  | { type: 'notice'; notice: UserNotice }
  | { type: 'error'; message: string };
