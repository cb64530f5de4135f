/**
 * k6's `exec.test.abort([reason])`: the script stops the whole run (exit 108, the reason
 * printed), from an iteration in any generator thread, or from setup() or teardown().
 *
 * The call posts the reason on the run's BroadcastChannel, which the thread that coordinates
 * the run and every generator thread listen on (listenForAbort), halts the scenarios running in
 * its own thread at once (runtime().onTestAbort: no iteration starts there after it, whatever
 * the channel's delivery), and throws a marked error (ending the iteration or lifecycle call it
 * is in; an iteration it ends is interrupted, not counted as complete nor as an error).
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
  const rt = runtime();
  const name = rt.abortChannel;
  if (name !== null) {
    const ch = new BroadcastChannel(name);
    ch.postMessage(reason);
    ch.close();
  }
  for (const halt of [...rt.onTestAbort]) halt(reason);
  return Object.assign(new Error(`test aborted: ${reason}`), { [MARK]: reason });
}

/** The reason when `e` is exec.test.abort()'s error, else undefined. */
export function abortReason(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const r = (e as Record<symbol, unknown>)[MARK];
  return typeof r === 'string' ? r : undefined;
}

/**
 * A script error that must stop the whole run (exit 107), found in a generator thread: posted
 * on the same channel, marked apart from exec.test.abort()'s reasons.
 */
export function postScriptError(message: string): void {
  const name = runtime().abortChannel;
  if (name === null) return;
  const ch = new BroadcastChannel(name);
  ch.postMessage({ scriptError: message });
  ch.close();
}

/** Listens on the run's channel; `onAbort` gets each reason posted (`scriptError`: postScriptError's). */
export function listenForAbort(
  name: string,
  onAbort: (reason: string, scriptError: boolean) => void,
): { close(): void } {
  const ch = new BroadcastChannel(name);
  ch.onmessage = (m) => {
    const d = (m as MessageEvent).data as unknown;
    if (
      typeof d === 'object' &&
      d !== null &&
      typeof (d as { scriptError?: unknown }).scriptError === 'string'
    )
      onAbort((d as { scriptError: string }).scriptError, true);
    else onAbort(String(d), false);
  };
  ch.unref();
  return { close: () => ch.close() };
}
