/**
 * The bus the services talk over. `tickstorm serve` (one process) uses InProcessBus:
 * a synchronous, in-order dispatch with no serialisation. A networked bus (for one
 * service per process on several hosts) implements the same interface; the contract it
 * must keep:
 *
 * - `publish(topic, message)` delivers `message` to every current subscriber of `topic`,
 *   in publish order per topic (per publisher for a networked bus). Messages are plain
 *   JSON-able values (or Uint8Array for binary topics), never mutated after publishing.
 * - `subscribe(topic, handler)` returns an unsubscribe function. A handler that throws
 *   does not stop delivery to the others; the error is reported through `onError`.
 * - Delivery is at-most-once and fire-and-forget: the critical path (the risk check, the
 *   matcher) never waits on the bus. Topics and message types: ./topics.ts.
 * - `close()` stops delivery and releases connections.
 */
export type BusHandler<T> = (message: T) => void;

export interface Bus {
  publish<T>(topic: string, message: T): void;
  subscribe<T>(topic: string, handler: BusHandler<T>): () => void;
  /** Subscribers of a topic right now (publishers skip work nobody reads). */
  hasSubscribers(topic: string): boolean;
  close(): Promise<void>;
}

export class InProcessBus implements Bus {
  private readonly topics = new Map<string, BusHandler<unknown>[]>();
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

  async close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
  }
}

function defaultOnError(err: unknown, topic: string): void {
  process.emitWarning(`bus handler for ${topic} failed: ${(err as Error)?.stack ?? String(err)}`);
}
