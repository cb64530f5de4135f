/**
 * k6's `exec.test.abort([reason])`: the script stops the whole run (exit 108, the reason
 * printed), from an iteration in any generator thread, or from setup() or teardown().
 *
 * The call throws a marked error (ending the iteration or lifecycle call it is in; it is not
 * counted as an iteration error) and posts the reason on the run's BroadcastChannel, which the
 * thread that coordinates the run listens on (listenForAbort) to stop every scenario.
 *
 *   const l = listenForAbort(channel, (reason) => stop.abort());   // the run's side
 *   throw testAborted('bad data');                                 // the script's side
 *   abortReason(e);                                                // 'bad data', or undefined
 */
import { BroadcastChannel } from 'node:worker_threads';
import { runtime } from './runtime.ts';

const MARK = Symbol.for('tickstorm.script.testAbort');

/** Posts `reason` to the run (when one listens) and returns the error that ends the caller. */
export function testAborted(reason: string): Error {
  const name = runtime().abortChannel;
  if (name !== null) {
    const ch = new BroadcastChannel(name);
    ch.postMessage(reason);
    ch.close();
  }
  return Object.assign(new Error(`test aborted: ${reason}`), { [MARK]: reason });
}

/** The reason when `e` is exec.test.abort()'s error, else undefined. */
export function abortReason(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const r = (e as Record<symbol, unknown>)[MARK];
  return typeof r === 'string' ? r : undefined;
}

/** Listens on the run's channel; `onAbort` gets each reason posted. */
export function listenForAbort(name: string, onAbort: (reason: string) => void): { close(): void } {
  const ch = new BroadcastChannel(name);
  ch.onmessage = (m) => onAbort(String((m as MessageEvent).data));
  ch.unref();
  return { close: () => ch.close() };
}
