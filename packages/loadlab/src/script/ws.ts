/**
 * `tickstorm/ws`: WebSocket for scripts (k6's `k6/ws`, promise based).
 *
 *   import ws from 'tickstorm/ws';
 *   const socket = await ws.connect('wss://host/ws/metrics', { headers: { Authorization: 'x' } });
 *   socket.send(JSON.stringify({ action: 'subscribe', symbol: 'SYM0' }));
 *   const first = await socket.next(5000);        // the next message (text), or throws on timeout
 *   socket.on('message', (text) => { ... });       // every message ('pong', 'close' too)
 *   socket.ping();                                 // a ping; its pong is a ws_ping sample
 *   await socket.close();
 *
 * Metrics (k6's names): ws_connecting (trend, ms: handshake, from the iteration's intended
 * start for its first call), ws_session_duration (trend, ms: from the handshake's start to the
 * close, for sessions that close before their scenario ends, as k6 counts none cut by the end),
 * ws_ping (trend, ms: a ping() to its pong, pongs matched to pings in order), ws_sessions,
 * ws_msgs_sent, ws_msgs_received (counters). The handshake is also a request of type WS named `connect <path>` in the lab's tables. A
 * failed handshake rejects and counts as a failed request. wss uses --ca / --insecure and the
 * client certificate options.tlsAuth gives the host.
 * Sockets still open when the run ends are closed.
 */
import WebSocket from 'ws';
import { tlsCertHint } from '../clients/tls-check.ts';
import { tlsConnectOptions } from '../clients/tls-options.ts';
import { newRequestEvent } from '../stats/events.ts';
import { nowUs } from '../util/clock.ts';
import {
  addCounter,
  addTrend,
  counterKey,
  current,
  type IterationStore,
  measureFrom,
  never,
  runtime,
  tracked,
} from './runtime.ts';

export interface ConnectParams {
  headers?: Record<string, string>;
  /** Name in the statistics (default: `connect <path>`). */
  name?: string;
  /** Handshake timeout in ms (default 10 s). */
  timeout?: number;
}

/** Each scenario's open sockets, so one scenario's end leaves the others'. */
const open = new Map<string, Set<WebSocket>>();

/** Closes every socket a scenario's iterations left open (the factory calls it at its end). */
export async function closeWs(scenario: string): Promise<void> {
  const set = open.get(scenario);
  open.delete(scenario);
  for (const s of set ?? []) s.terminate();
}

type SocketEvent = 'message' | 'pong' | 'close';

export class Socket {
  private readonly waiters: {
    resolve: (t: string) => void;
    reject: (e: Error) => void;
    timer?: NodeJS.Timeout;
  }[] = [];
  private readonly queued: string[] = [];
  private readonly listeners: ((text: string) => void)[] = [];
  private readonly onPong: (() => void)[] = [];
  private readonly onClose: (() => void)[] = [];
  /** When each unanswered ping() was sent (lab clock µs), oldest first. */
  private readonly pings: number[] = [];
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly store: IterationStore,
    /** The handshake's start (lab clock µs): ws_session_duration runs from it. */
    private readonly startUs: number,
  ) {
    ws.on('message', (data, isBinary) => {
      addCounter(this.store, counterKey.counter('ws_msgs_received'), 1);
      const text = isBinary ? Buffer.from(data as Buffer).toString('base64') : String(data);
      for (const l of this.listeners) l(text);
      const w = this.waiters.shift();
      if (w !== undefined) {
        clearTimeout(w.timer);
        w.resolve(text);
      } else if (this.listeners.length === 0) this.queued.push(text);
    });
    ws.on('pong', () => {
      const sent = this.pings.shift();
      if (sent !== undefined && !this.store.end.stopped)
        addTrend(this.store, 'ws_ping', (nowUs() - sent) / 1000);
      for (const l of this.onPong) l();
    });
    ws.on('close', () => {
      this.closed = true;
      open.get(this.store.scenario)?.delete(ws);
      if (!this.store.end.stopped)
        addTrend(this.store, 'ws_session_duration', (nowUs() - this.startUs) / 1000);
      for (const l of this.onClose) l();
      for (const w of this.waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new Error('the WebSocket closed'));
      }
    });
    ws.on('error', () => {});
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
    addCounter(this.store, counterKey.counter('ws_msgs_sent'), 1);
  }

  /** 'message' gets each message's text; 'pong' and 'close' get nothing. */
  on(event: SocketEvent, fn: (text: string) => void): void {
    if (event === 'message') this.listeners.push(fn);
    else if (event === 'pong') this.onPong.push(() => fn(''));
    else if (event === 'close') this.onClose.push(() => fn(''));
    else throw new TypeError(`unknown event '${event}' (use 'message', 'pong' or 'close')`);
  }

  /** Sends a ping (k6's socket.ping()); the time to its pong is a sample of ws_ping. */
  ping(): void {
    if (this.closed) throw new Error('the WebSocket is closed');
    this.pings.push(nowUs());
    this.ws.ping();
  }

  /** The next message (queued ones first); rejects after `timeoutMs` or when the socket closes. */
  next(timeoutMs = 10_000): Promise<string> {
    const q = this.queued.shift();
    if (q !== undefined) return Promise.resolve(q);
    if (this.closed) return Promise.reject(new Error('the WebSocket is closed'));
    return new Promise((resolve, reject) => {
      const w: (typeof this.waiters)[number] = { resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no WebSocket message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}

export function connect(url: string, params: ConnectParams = {}): Promise<Socket> {
  const s = current('ws.connect()');
  if (s.end.stopped) return never();
  return tracked(s, handshake(s, url, params));
}

function handshake(s: IterationStore, url: string, params: ConnectParams): Promise<Socket> {
  const u = new URL(url);
  const fromUs = measureFrom(s);
  const startUs = nowUs();
  const ev = newRequestEvent('WS', params.name ?? `connect ${u.pathname}`);
  const emit = (ok: boolean, error: string | null) => {
    const t = nowUs();
    ev.latencyUs = t - fromUs;
    ev.ok = ok;
    ev.status = ok ? 101 : 0;
    ev.error = error;
    ev.timeUs = t;
    s.events.emit(ev);
    addTrend(s, 'ws_connecting', ev.latencyUs / 1000);
  };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      headers: params.headers,
      perMessageDeflate: false,
      handshakeTimeout: params.timeout ?? 10_000,
      ...(u.protocol === 'wss:' ? tlsConnectOptions(u.hostname, runtime().tls) : {}),
    });
    ws.once('open', () => {
      if (s.end.stopped) {
        ws.terminate();
        return;
      }
      let set = open.get(s.scenario);
      if (set === undefined) {
        set = new Set();
        open.set(s.scenario, set);
      }
      set.add(ws);
      // the VU's own end (gracefulRampDown) terminates it too
      const mine = s.end.sockets;
      if (mine !== undefined) {
        mine.add(ws);
        ws.once('close', () => mine.delete(ws));
      }
      emit(true, null);
      addCounter(s, counterKey.counter('ws_sessions'), 1);
      resolve(new Socket(ws, s, startUs));
    });
    ws.once('error', (e: NodeJS.ErrnoException) => {
      if (ws.readyState === WebSocket.OPEN || s.end.stopped) return;
      emit(false, e.code ?? e.message);
      const hint = tlsCertHint(e.code);
      if (hint !== undefined) e.message = `${e.message}: ${hint}`;
      reject(e);
    });
  });
}

export default { connect };
