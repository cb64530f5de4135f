/**
 * The bus over a nats-server (core NATS: at-most-once pub/sub and request/reply), for
 * services in separate processes on any host (docs/deployment.md). It keeps bus.ts's
 * contract:
 *
 * - Topic `t` is the subject `<prefix>.t` (prefix default `ts`). Publishes are batched per
 *   subject within one event-loop turn: one NATS message carries a JSON array of every
 *   message published to that subject in the turn, so a feed of 100k updates/s costs a few
 *   thousand NATS messages, and per-topic order is kept (one connection, one writer).
 * - Requests carry one JSON value each way. NATS answers "no responders" at once when
 *   nobody subscribes to a subject: that is BUS_NO_RESPONDERS, which the services map to
 *   503 + Retry-After (an owner that is down), never a hang.
 * - The client reconnects forever (every 250 ms); while it is away `state()` is
 *   'reconnecting' and requests fail fast with BUS_CLOSED. Publishes made meanwhile are lost,
 *   not delayed: nats.js drops what it queued at each reconnect attempt (docs/deployment.md,
 *   "When nats-server goes away"); subscribers get the next one published once back.
 */
import { randomBytes } from 'node:crypto';
import type { KV, Msg, NatsConnection, NatsError } from 'nats';
import { TradingError, TradingErrorCode } from '../errors.ts';
import {
  type Bus,
  BusError,
  type BusHandler,
  type BusServer,
  type BusState,
  defaultOnError,
  InProcessBus,
} from './bus.ts';
import { connectNats } from './nats-connect.ts';

/**
 * The nats client, loaded by the first connect: a process on the in-process bus (the
 * default) does not load its hundred modules. Set before any NatsBus exists.
 */
let nats: typeof import('nats');

export interface NatsBusOptions {
  /** nats://HOST:PORT (a comma-separated list is several servers of one cluster). */
  url: string;
  /** Subject prefix (default 'ts'); several systems can share a server with different prefixes. */
  prefix?: string;
  /** Client name shown by the server's monitoring (default `tickstorm-<pid>`). */
  name?: string;
  /** Give up connecting at start after this long (default 5,000 ms). */
  connectTimeoutMs?: number;
  onError?: (err: unknown, topic: string) => void;
}

const enc = new TextEncoder();
const CHUNK_CHARS = 256 * 1024;
const dec = new TextDecoder();

interface ReplyEnvelope {
  ok?: unknown;
  error?: { code: string; message: string };
}

export class NatsBus implements Bus {
  readonly kind = 'nats' as const;
  readonly instanceId: string;
  readonly url: string;
  private readonly prefix: string;
  private readonly onError: (err: unknown, topic: string) => void;
  private readonly pending = new Map<string, unknown[]>();
  private flushScheduled = false;
  private current: BusState = 'connected';
  private readonly stateListeners = new Set<(s: BusState) => void>();
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    o: NatsBusOptions,
  ) {
    this.url = o.url;
    this.prefix = o.prefix ?? 'ts';
    this.onError = o.onError ?? defaultOnError;
    this.instanceId = `${process.pid}-${randomBytes(4).toString('hex')}`;
    void this.watchStatus();
  }

  /** Connects (rejects with a message naming the URL when no server answers in time). */
  static async connect(o: NatsBusOptions): Promise<NatsBus> {
    const servers = o.url.split(',').map((s) => s.trim().replace(/^nats:\/\//, ''));
    nats ??= await import('nats');
    let nc: NatsConnection;
    try {
      nc = await connectNats({
        servers,
        name: o.name ?? `tickstorm-${process.pid}`,
        timeout: o.connectTimeoutMs ?? 5000,
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 50,
        pingInterval: 2000,
        maxPingOut: 2,
        noAsyncTraces: true,
      });
    } catch (err) {
      // a failed attempt leaves no socket open (./nats-connect.ts): the caller may retry or go on
      throw new BusError(
        'BUS_CLOSED',
        `cannot connect to the bus (--bus, TICKSTORM_BUS) at ${o.url}: ${(err as Error).message}; is nats-server running and reachable there?`,
      );
    }
    return new NatsBus(nc, o);
  }

  subject(topic: string): string {
    return `${this.prefix}.${topic}`;
  }

  publish<T>(topic: string, message: T): void {
    if (this.closed) return;
    const list = this.pending.get(topic);
    if (list === undefined) this.pending.set(topic, [message]);
    else list.push(message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends every batched publish now (also called at close). */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.size === 0 || this.closed) return;
    for (const [topic, list] of this.pending) {
      const subject = this.subject(topic);
      // Chunks of at most ~256 KB: well under the server's max_payload (1 MB by default).
      let chunk = '';
      for (let i = 0; i < list.length; i++) {
        const one = JSON.stringify(list[i]) ?? 'null';
        if (chunk.length > 0 && chunk.length + one.length > CHUNK_CHARS) {
          this.send(subject, topic, chunk);
          chunk = '';
        }
        chunk = chunk.length === 0 ? one : `${chunk},${one}`;
      }
      if (chunk.length > 0) this.send(subject, topic, chunk);
    }
    this.pending.clear();
  }

  private send(subject: string, topic: string, items: string): void {
    try {
      this.nc.publish(subject, enc.encode(`[${items}]`));
    } catch (err) {
      this.onError(err, topic);
    }
  }

  subscribe<T>(topic: string, handler: BusHandler<T>): () => void {
    const sub = this.nc.subscribe(this.subject(topic), {
      callback: (err, msg) => {
        if (err !== null) {
          this.onError(err, topic);
          return;
        }
        let list: T[];
        try {
          list = JSON.parse(dec.decode(msg.data)) as T[];
        } catch (e) {
          this.onError(e, topic);
          return;
        }
        for (let i = 0; i < list.length; i++) {
          try {
            handler(list[i]);
          } catch (e) {
            this.onError(e, topic);
          }
        }
      },
    });
    return () => sub.unsubscribe();
  }

  hasSubscribers(_topic: string): boolean {
    return !this.closed;
  }

  async request<Q, R>(subject: string, message: Q, timeoutMs: number): Promise<R> {
    if (this.closed || this.nc.isClosed()) throw new BusError('BUS_CLOSED', 'the bus is closed');
    if (this.current !== 'connected') {
      throw new BusError('BUS_CLOSED', `the bus (${this.url}) is not connected`);
    }
    let msg: Msg;
    try {
      msg = await this.nc.request(this.subject(subject), enc.encode(JSON.stringify(message ?? null)), {
        timeout: timeoutMs,
      });
    } catch (err) {
      const code = (err as NatsError).code;
      if (code === nats.ErrorCode.NoResponders)
        throw new BusError('BUS_NO_RESPONDERS', `nobody serves ${subject}`);
      if (code === nats.ErrorCode.Timeout) {
        throw new BusError('BUS_TIMEOUT', `no answer on ${subject} within ${timeoutMs} ms`);
      }
      throw new BusError('BUS_CLOSED', `request on ${subject} failed: ${(err as Error).message}`);
    }
    const env = JSON.parse(dec.decode(msg.data)) as ReplyEnvelope;
    if (env.error !== undefined) {
      throw new BusError('BUS_HANDLER_FAILED', env.error.message);
    }
    return env.ok as R;
  }

  serve<Q, R>(subject: string, handler: BusServer<Q, R>, queue?: string): () => void {
    const sub = this.nc.subscribe(this.subject(subject), {
      queue,
      callback: (err, msg) => {
        if (err !== null) {
          this.onError(err, subject);
          return;
        }
        const answer = (env: ReplyEnvelope) => {
          try {
            msg.respond(enc.encode(JSON.stringify(env)));
          } catch (e) {
            this.onError(e, subject);
          }
        };
        let q: Q;
        try {
          q = JSON.parse(dec.decode(msg.data)) as Q;
        } catch (e) {
          answer({ error: { code: 'BUS_HANDLER_FAILED', message: `bad request: ${(e as Error).message}` } });
          return;
        }
        Promise.resolve()
          .then(() => handler(q))
          .then(
            (ok) => answer({ ok: ok ?? null }),
            (e) =>
              answer({
                error: { code: 'BUS_HANDLER_FAILED', message: (e as Error)?.message ?? String(e) },
              }),
          );
      },
    });
    return () => sub.unsubscribe();
  }

  /**
   * The JetStream key-value bucket `tickstorm-<prefix>-<name>` on this bus's server, created when
   * absent (file storage: it outlives a server restart; one value per key; entries expire `ttlMs`
   * after their last write). For the role leases (cluster/role-lease.ts); rejects when the server
   * runs without JetStream.
   */
  keyValue(name: string, ttlMs: number): Promise<KV> {
    const bucket = `tickstorm-${this.prefix}-${name}`.replace(/[^A-Za-z0-9_-]/g, '_');
    return this.nc
      .jetstream({ timeout: JETSTREAM_TIMEOUT_MS })
      .views.kv(bucket, { ttl: ttlMs, history: 1, storage: nats.StorageType.File });
  }

  async sync(): Promise<void> {
    this.flush();
    if (!this.closed && this.current === 'connected') await this.nc.flush();
  }

  state(): BusState {
    return this.current;
  }

  onState(listener: (state: BusState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private setState(s: BusState): void {
    if (this.current === s) return;
    this.current = s;
    for (const l of this.stateListeners) {
      try {
        l(s);
      } catch (err) {
        this.onError(err, 'bus.state');
      }
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === nats.Events.Disconnect) this.setState('reconnecting');
      else if (s.type === nats.Events.Reconnect) this.setState('connected');
    }
    this.setState('closed');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    // A drain needs the server: while reconnecting (or if the server goes during the drain) it
    // would wait for ever, and the client would keep reconnecting. Bounded, then closed.
    if (this.current === 'connected') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.nc.drain().catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    if (!this.nc.isClosed()) await this.nc.close().catch(() => {});
    this.setState('closed');
  }
}

/** How long a JetStream call (a key-value read or write) waits for the server's answer. */
const JETSTREAM_TIMEOUT_MS = 2000;

/** How long close() lets a drain run before it closes the connection anyway. */
const DRAIN_TIMEOUT_MS = 2000;

/** The bus a process uses: in-process without a URL, NATS with `nats://…` (TICKSTORM_BUS). */
export async function openBus(url: string | undefined, o: Partial<NatsBusOptions> = {}): Promise<Bus> {
  if (url === undefined || url === '') return new InProcessBus(o.onError);
  const problem = busUrlProblem(url);
  if (problem !== null) throw new TradingError(TradingErrorCode.INVALID_CONFIG, problem, 'bus');
  return NatsBus.connect({ ...o, url });
}

/** One server of a bus URL: nats://[USER[:PASS]@]HOST[:PORT], HOST a name, an IPv4 or a bracketed IPv6. */
const NATS_SERVER = /^nats:\/\/(?:[^\s/,@]+@)?(?:\[[0-9A-Fa-f:.]+\]|[^\s/,:@[\]]+)(?::(\d+))?$/;

/**
 * Why `url` is not a bus URL (null when it is one): nats://HOST:PORT, comma-separated for a
 * cluster. A port left empty (`nats://host:`), not a number or outside 1..65535 is refused here,
 * as a configuration error, not found later as a server that refuses the connection.
 */
export function busUrlProblem(url: string): string | null {
  const ok = url.split(/,\s*/).every((server) => {
    const m = NATS_SERVER.exec(server);
    return m !== null && (m[1] === undefined || (Number(m[1]) >= 1 && Number(m[1]) <= 65535));
  });
  return ok ? null : `--bus (TICKSTORM_BUS) must be nats://HOST:PORT, got ${JSON.stringify(url)}`;
}
