/**
 * A VU's end (runtime.ts's ScenarioEnd, one per VU store). Its scenario's end stops every VU's
 * (the factory then closes the scenario's connections and sockets whole); k6's gracefulRampDown
 * running out stops one VU's alone (generator/closed-loop.ts): its sleeps are cleared, its
 * requests in flight aborted and its WebSockets terminated, and what they would have recorded
 * is not counted, as k6 interrupts a ramped-down VU's iteration.
 *
 *   const end = vuEnd();
 *   stopVuEnd(end); // end.stopped: the VU's iteration is abandoned
 */
import type { ScenarioEnd } from './runtime.ts';

export function vuEnd(): ScenarioEnd {
  return { stopped: false, timers: new Set(), requests: new Set(), sockets: new Set() };
}

/** Stops `end`: clears its sleeps, aborts its requests and terminates its sockets. */
export function stopVuEnd(end: ScenarioEnd): void {
  if (end.stopped) return;
  end.stopped = true;
  for (const t of end.timers) clearTimeout(t);
  end.timers.clear();
  for (const c of end.requests ?? []) c.abort();
  end.requests?.clear();
  for (const w of end.sockets ?? []) w.terminate();
  end.sockets?.clear();
}
