/**
 * Locust's `events.request`: a listener sees every request a user makes on this node, the
 * client's HTTP calls and `this.fire` events alike, after it is recorded:
 *
 *   events.request.add_listener(({ request_type, name, response_time, response_length, exception }) => {...});
 *
 * Listeners run synchronously on the request path, on the node (thread, `--worker`) where the
 * request happened, as in Locust. With none registered the cost is one length check per
 * request. Each call gets a fresh object, safe to keep. A listener that throws (or returns a
 * promise that rejects) is counted in the run's exceptions; the user goes on.
 */

import type { RequestEvent } from '../stats/events.ts';
import { epochNowMs, usToEpochMs } from '../util/clock.ts';

/** What a request listener gets: Locust's keyword arguments, in Locust's spelling. */
export interface RequestInfo {
  /** The Type column: the HTTP method, or a `this.fire` event's type. */
  request_type: string;
  /** The statistics row. */
  name: string;
  /** Milliseconds (fractions kept). */
  response_time: number;
  /** Bytes of the response body. */
  response_length: number;
  /** The failure's text ('HTTP 503', 'timeout', a `this.fire` exception's message); null on success. */
  exception: string | null;
  /** Locust's per-request context; always empty here (there is no `context=` option). */
  context: Record<string, unknown>;
  /** When the request started, epoch seconds (Locust's `start_time`). */
  start_time: number;
  /** The HTTP status (0: no response, or a `this.fire` event). Not in Locust, which passes `response`. */
  status: number;
}

export type RequestHookListener = (r: RequestInfo) => unknown;

export class RequestHook {
  /** Replaced, never mutated, so a listener may add or remove listeners while one fires. */
  private listeners: readonly RequestHookListener[] = [];

  add_listener(f: RequestHookListener): RequestHookListener {
    this.listeners = [...this.listeners, f];
    return f;
  }

  remove_listener(f: RequestHookListener): void {
    this.listeners = this.listeners.filter((l) => l !== f);
  }

  /** True when a listener is registered (the request path checks it before building anything). */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  /** Calls each listener with the event (a copy); what one throws goes to `onError`. */
  emit(ev: RequestEvent, onError: (e: unknown) => void): void {
    const ls = this.listeners;
    if (ls.length === 0) return;
    const responseMs = ev.latencyUs / 1000;
    const endMs = ev.timeUs === 0 ? epochNowMs() : usToEpochMs(ev.timeUs);
    for (const f of ls) {
      const info: RequestInfo = {
        request_type: ev.type,
        name: ev.name,
        response_time: responseMs,
        response_length: ev.bytes,
        exception: ev.ok ? null : (ev.error ?? 'failed'),
        context: {},
        start_time: (endMs - responseMs) / 1000,
        status: ev.status,
      };
      try {
        const p = f(info) as { then?: unknown } | undefined;
        if (typeof p?.then === 'function') (p as Promise<unknown>).then(undefined, onError);
      } catch (e) {
        onError(e);
      }
    }
  }
}
