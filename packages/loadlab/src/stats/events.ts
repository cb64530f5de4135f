/**
 * Request events, Locust style: clients only EMIT what happened; collectors (RequestStats)
 * subscribe. A client keeps ONE mutable `RequestEvent`, fills it and emits it, so the hot
 * path allocates nothing; listeners must copy what they keep.
 */

export interface RequestEvent {
  /** Locust's Type column: HTTP method, or WS / DB / TICK for non-HTTP work. */
  type: string;
  /** Request name (URL path or a logical name). */
  name: string;
  /** Latency in µs, measured from the INTENDED start (open model) or the actual start (closed). */
  latencyUs: number;
  ok: boolean;
  /** HTTP status (0 when there was no response). */
  status: number;
  /** Error kind for failures ('timeout', 'ECONNRESET', 'HTTP 503', ...); null when ok. */
  error: string | null;
  /** Response body bytes (Locust's content length). */
  bytes: number;
  /** Completion time on the lab clock (µs, util/clock.ts); 0 = "now". */
  timeUs: number;
}

export type RequestListener = (ev: RequestEvent) => void;

/** A tiny synchronous emitter (no EventEmitter machinery on the hot path). */
export class RequestEvents {
  private listeners: RequestListener[] = [];

  on(fn: RequestListener): () => void {
    this.listeners = [...this.listeners, fn];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== fn);
    };
  }

  emit(ev: RequestEvent): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i](ev);
  }
}

/** A fresh reusable event object (one per client). */
export function newRequestEvent(type = '', name = ''): RequestEvent {
  return { type, name, latencyUs: 0, ok: true, status: 0, error: null, bytes: 0, timeUs: 0 };
}
