/**
 * The bus the services talk over. `tickstorm serve` (one process) uses InProcessBus:
 * a synchronous, in-order dispatch with no serialisation. NatsBus (./nats-bus.ts) runs the
 * same interface over a nats-server, so that every service can run in its own process on
 * any host. The contract both keep:
 *
 * - `publish(topic, message)` delivers `message` to every current subscriber of `topic`,
 *   in publish order per topic (per publisher for a networked bus). Messages are plain
 *   JSON-able values, never mutated after publishing.
 * - `subscribe(topic, handler)` returns an unsubscribe function. A handler that throws
 *   does not stop delivery to the others; the error is reported through `onError`.
 * - Delivery is at-most-once and fire-and-forget: the critical path (the matcher) never
 *   waits on a publish. Topics and message types: ./topics.ts.
 * - `request(subject, message, timeoutMs)` asks ONE server of `subject` (see `serve`) and
 *   resolves to its answer. It rejects with a BusError: `BUS_NO_RESPONDERS` at once when
 *   nobody serves the subject (the owner is down), `BUS_TIMEOUT` after `timeoutMs`,
 *   `BUS_CLOSED` when the bus is closed or disconnected. It never hangs.
 * - `serve(subject, handler, queue)` answers requests; servers in the same `queue` share the
 *   subject's requests (one of them answers each). A handler's throw answers a BusError
 *   `BUS_HANDLER_FAILED` carrying its message.
 * - `close()` stops delivery and releases connections.
 */
export type BusHandler<T> = (message: T) => void;
export type BusServer<Q, R> = (request: Q) => R | Promise<R>;

export type BusErrorCode = 'BUS_NO_RESPONDERS' | 'BUS_TIMEOUT' | 'BUS_CLOSED' | 'BUS_HANDLER_FAILED';

export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BusError';
  }
}

export type BusState = 'connected' | 'reconnecting' | 'closed';

export interface Bus {
  /** 'in-process' or the nats:// URL. */
  readonly kind: 'in-process' | 'nats';
  /** This process's id on the bus (unique per process start). */
  readonly instanceId: string;
  publish<T>(topic: string, message: T): void;
  subscribe<T>(topic: string, handler: BusHandler<T>): () => void;
  /** Subscribers of a topic right now, as far as this process knows (a networked bus: true). */
  hasSubscribers(topic: string): boolean;
  request<Q, R>(subject: string, message: Q, timeoutMs: number): Promise<R>;
  serve<Q, R>(subject: string, handler: BusServer<Q, R>, queue?: string): () => void;
  /** The connection's state (in-process: 'connected' until closed). */
  state(): BusState;
  /** Called on every state change. */
  onState(listener: (state: BusState) => void): () => void;
  /** Resolves once the subscriptions and servers made so far are in force at the server (NATS: a flush round trip). */
  sync?(): Promise<void>;
  close(): Promise<void>;
}

export class InProcessBus implements Bus {
  readonly kind = 'in-process' as const;
  readonly instanceId = `local-${process.pid}`;
  private readonly topics = new Map<string, BusHandler<unknown>[]>();
  private readonly servers = new Map<string, { handler: BusServer<unknown, unknown>; queue?: string }[]>();
  private readonly rr = new Map<string, number>();
  private readonly stateListeners = new Set<(s: BusState) => void>();
  private closed = false;

  constructor(private readonly onError: (err: unknown, topic: string) => void = defaultOnError) {}

  publish<T>(topic: string, message: T): void {
    if (this.closed) return;
    const handlers = this.topics.get(topic);
    if (handlers === undefined) return;
    for (let i = 0; i < handlers.length; i++) {
      try {
        handlers[i](message);
      } catch (err) {
        this.onError(err, topic);
      }
    }
  }

  subscribe<T>(topic: string, handler: BusHandler<T>): () => void {
    const h = handler as BusHandler<unknown>;
    // Copy on write: a handler unsubscribing during dispatch never disturbs the loop.
    this.topics.set(topic, [...(this.topics.get(topic) ?? []), h]);
    return () => {
      const list = (this.topics.get(topic) ?? []).filter((x) => x !== h);
      if (list.length === 0) this.topics.delete(topic);
      else this.topics.set(topic, list);
    };
  }

  hasSubscribers(topic: string): boolean {
    return this.topics.has(topic);
  }

  async request<Q, R>(subject: string, message: Q, _timeoutMs: number): Promise<R> {
    if (this.closed) throw new BusError('BUS_CLOSED', 'the bus is closed');
    const list = this.servers.get(subject);
    if (list === undefined || list.length === 0) {
      throw new BusError('BUS_NO_RESPONDERS', `nobody serves ${subject}`);
    }
    const i = (this.rr.get(subject) ?? 0) % list.length;
    this.rr.set(subject, i + 1);
    try {
      return (await list[i].handler(message)) as R;
    } catch (err) {
      throw new BusError('BUS_HANDLER_FAILED', (err as Error)?.message ?? String(err));
    }
  }

  serve<Q, R>(subject: string, handler: BusServer<Q, R>, queue?: string): () => void {
    const entry = { handler: handler as BusServer<unknown, unknown>, queue };
    this.servers.set(subject, [...(this.servers.get(subject) ?? []), entry]);
    return () => {
      const list = (this.servers.get(subject) ?? []).filter((x) => x !== entry);
      if (list.length === 0) this.servers.delete(subject);
      else this.servers.set(subject, list);
    };
  }

  state(): BusState {
    return this.closed ? 'closed' : 'connected';
  }

  onState(listener: (state: BusState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.topics.clear();
    this.servers.clear();
    for (const l of this.stateListeners) l('closed');
  }
}

export function defaultOnError(err: unknown, topic: string): void {
  process.emitWarning(`bus handler for ${topic} failed: ${(err as Error)?.stack ?? String(err)}`);
}
