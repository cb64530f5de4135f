/**
 * A raw HTTP/1.1 keep-alive client over `net` (or `tls` for https://) for load generation. `connections` pooled
 * sockets, ONE request in flight per connection (no pipelining), requests written as
 * prebuilt Buffers (http-request.ts), responses parsed by the minimal ResponseParser, every
 * socket reading into one shared buffer (net's `onread`: no Buffer per read). Each request
 * ends in exactly one RequestEvent (latency from its intended start), errors and timeouts
 * included. The clock is read once per socket read: that time ends the response's latency,
 * starts the closed-model VU's next request (`onDone(tag, atUs)`) and stamps its write.
 * Connections open lazily (or with `connectAll`) and reopen after the server
 * closes them; a request that meets a keep-alive socket the server just closed (no response
 * byte received) is retried once on a fresh connection, as browsers do.
 *
 * With `coalesceReads` (the closed model of `tickstorm http`), a loop turn that read only a few
 * responses ends in a short nap, so the next turn reads several at once (read-coalescing.ts).
 *
 * Requests take a free connection, or wait in a FIFO for the next one (wrk2's behaviour: a
 * request due while every connection is busy is sent late, and its latency still counts from
 * its intended start, so the wait is measured, never hidden). Two ways to drive it:
 * - `submit(tag, req, intendedUs)`: the executor's way (tag = VU slot); `onDone(tag)` is
 *   called when the request ended. Nothing is allocated per request.
 * - `await request(req, intendedUs?)`: resolves with the outcome; for async scripts.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { RequestEvents } from '../stats/events.ts';
import { newRequestEvent } from '../stats/events.ts';
import { nowUs } from '../util/clock.ts';
import { directStream } from './direct-stream.ts';
import { ResponseParser } from './http-parser.ts';
import type { PreparedRequest } from './http-request.ts';
import { ReadCoalescer } from './read-coalescing.ts';
import { RequestQueue, type Resolve } from './request-queue.ts';
import { type TlsOptions, tlsConnectOptions } from './tls-options.ts';

export interface HttpClientOptions {
  /** Origin to connect to (http://host:port). */
  url: string | URL;
  connections: number;
  events: RequestEvents;
  /** Per-request timeout from the write (default 10 s; 0 = none). */
  timeoutMs?: number;
  /** Called with the request's tag when a submitted request ended, and the time it ended (lab clock µs). */
  onDone?: (tag: number, atUs: number) => void;
  /** Which statuses count as success (default < 400). */
  ok?: (status: number) => boolean;
  /** https: --insecure / --ca / --cert / --key (one secure context, built once, for every connection). */
  tls?: TlsOptions;
  /** Closed model only: nap briefly after a turn that read few responses (read-coalescing.ts). */
  coalesceReads?: boolean;
}

export interface HttpOutcome {
  status: number;
  ok: boolean;
  error: string | null;
  bodyBytes: number;
  latencyUs: number;
}

const defaultOk = (s: number) => s < 400;
const CLOSED: HttpOutcome = { status: 0, ok: false, error: 'closed', bodyBytes: 0, latencyUs: 0 };

export class HttpClient {
  readonly connections: number;
  /** Connections opened, retries, timeouts (diagnostics). */
  connects = 0;
  retries = 0;
  timeouts = 0;
  private readonly host: string;
  private readonly port: number;
  private readonly secure: boolean;
  private readonly tlsOpts: tls.ConnectionOptions | undefined;
  private readonly sockets: (net.Socket | null)[];
  private readonly parsers: ResponseParser[];
  private readonly readers: ((n: number, buf: Buffer) => boolean)[];
  /** Per plain-TCP connection once open: the short write path (direct-stream.ts), else null. */
  private readonly writers: (((data: Buffer) => void) | null)[];
  private readonly reqs: (PreparedRequest | null)[];
  private readonly tags: Int32Array;
  private readonly resolvers: (Resolve | null)[];
  private readonly intended: Float64Array;
  private readonly sentAt: Float64Array;
  private readonly reused: Uint8Array;
  private readonly retried: Uint8Array;
  /** 1 once the connection is open (TLS: handshake done). */
  private readonly up: Uint8Array;
  private readonly sockErr: (string | null)[];
  private readonly free: Int32Array;
  private freeTop = 0;
  private readonly queue = new RequestQueue();
  private readonly ev = newRequestEvent();
  private readonly readBuf = Buffer.allocUnsafe(64 * 1024);
  private readonly okStatus: (s: number) => boolean;
  private readonly timeoutUs: number;
  private sweep: NodeJS.Timeout | undefined;
  private closed = false;
  /** The lab clock read at the start of the socket read being handled; -1 outside one. */
  private readUs = -1;
  private readonly coalescer: ReadCoalescer | null;

  constructor(private readonly o: HttpClientOptions) {
    const url = typeof o.url === 'string' ? new URL(o.url) : o.url;
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new TypeError(`only http:// and https:// targets are supported (got ${url.protocol})`);
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.secure = url.protocol === 'https:';
    this.port = Number(url.port || (this.secure ? 443 : 80));
    this.tlsOpts = this.secure ? tlsConnectOptions(this.host, o.tls) : undefined;
    const n = (this.connections = o.connections);
    this.sockets = new Array(n).fill(null);
    this.reqs = new Array(n).fill(null);
    this.resolvers = new Array(n).fill(null);
    this.sockErr = new Array(n).fill(null);
    this.tags = new Int32Array(n);
    this.intended = new Float64Array(n);
    this.sentAt = new Float64Array(n);
    this.reused = new Uint8Array(n);
    this.retried = new Uint8Array(n);
    this.up = new Uint8Array(n);
    this.free = new Int32Array(n);
    this.parsers = [];
    this.readers = [];
    this.writers = new Array(n).fill(null);
    const co = (this.coalescer = o.coalesceReads === true ? new ReadCoalescer(() => n - this.freeTop) : null);
    for (let c = 0; c < n; c++) {
      const parser = new ResponseParser((status, body, close) => this.onResponse(c, status, body, close));
      this.parsers.push(parser);
      this.readers.push((bytes, buf) => {
        this.readUs = nowUs();
        try {
          if (!parser.feed(buf, 0, bytes)) this.fail(c, `bad response: ${parser.failed}`, true);
        } finally {
          this.readUs = -1;
        }
        co?.read();
        return true;
      });
      this.free[this.freeTop++] = n - 1 - c;
    }
    this.okStatus = o.ok ?? defaultOk;
    this.timeoutUs = (o.timeoutMs ?? 10_000) * 1000;
    if (this.timeoutUs > 0) {
      this.sweep = setInterval(() => this.checkTimeouts(), Math.min(250, Math.max(10, o.timeoutMs! / 4)));
      this.sweep.unref();
    }
  }

  /** Requests waiting for a connection. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Opens connections 0 .. n-1 now; resolves when all are connected (rejects on the first error). */
  connectAll(n = this.connections): Promise<void> {
    const all: Promise<void>[] = [];
    for (let c = 0; c < Math.min(n, this.connections); c++) {
      const s = this.sockets[c] ?? this.connect(c);
      if (this.up[c] === 0)
        all.push(
          new Promise((res, rej) =>
            s
              .once(this.secure ? 'secureConnect' : 'connect', res)
              .once('error', rej)
              .once('close', () => rej(new Error('connection closed'))),
          ),
        );
    }
    return Promise.all(all).then(() => undefined);
  }

  /** Opens up to `n` connections before a run; a failure here is not fatal (each request reports its own). */
  prewarm(n: number): Promise<void> {
    return this.connectAll(n).catch(() => undefined);
  }

  /** Connection diagnostics as a script's counters (summed over threads into result.extra). */
  counters(): {
    httpConnects: number;
    httpRetries: number;
    httpTimeouts: number;
    readNaps?: number;
    readNapUs?: number;
  } {
    const c = { httpConnects: this.connects, httpRetries: this.retries, httpTimeouts: this.timeouts };
    const co = this.coalescer;
    return co === null ? c : { ...c, readNaps: co.naps, readNapUs: Math.round(co.napUs) };
  }

  /** Sends `req` on a free connection, or queues it; `onDone(tag)` when it ended. Latency from `intendedUs`. */
  submit(tag: number, req: PreparedRequest, intendedUs: number): void {
    if (this.freeTop > 0) this.dispatch(this.free[--this.freeTop], tag, req, intendedUs, null);
    else this.queue.push(tag, req, intendedUs, null);
  }

  /** Alias of `submit` (the first API: VU slot = connection, `onDone(vu)`). */
  send(tag: number, req: PreparedRequest, intendedUs: number): void {
    this.submit(tag, req, intendedUs);
  }

  /** Like submit, resolving with the outcome (for async scripts). */
  request(req: PreparedRequest, intendedUs = nowUs()): Promise<HttpOutcome> {
    return new Promise((resolve) => {
      if (this.closed) resolve(CLOSED);
      else if (this.freeTop > 0) this.dispatch(this.free[--this.freeTop], -1, req, intendedUs, resolve);
      else this.queue.push(-1, req, intendedUs, resolve);
    });
  }

  /** Closes every connection; requests in flight or queued are abandoned without events. */
  async close(): Promise<void> {
    this.closed = true;
    this.coalescer?.stop();
    clearInterval(this.sweep);
    for (let c = 0; c < this.connections; c++) {
      this.reqs[c] = null;
      this.drop(c);
      const r = this.resolvers[c];
      this.resolvers[c] = null;
      r?.(CLOSED);
    }
    const q = this.queue;
    for (; q.length > 0; q.shift()) q.resolve(q.first)?.(CLOSED);
  }

  private dispatch(
    c: number,
    tag: number,
    req: PreparedRequest,
    intendedUs: number,
    resolve: Resolve | null,
  ): void {
    this.reqs[c] = req;
    this.tags[c] = tag;
    this.resolvers[c] = resolve;
    this.intended[c] = intendedUs;
    this.retried[c] = 0;
    this.write(c, req);
  }

  private write(c: number, req: PreparedRequest): void {
    let s = this.sockets[c];
    // A socket already destroyed (an error or the server's end, its 'close' still to come) takes
    // no request: it goes on a fresh connection, and the old one's 'close' finds nothing to fail.
    if (s !== null && (s.destroyed || !s.writable)) {
      this.sockets[c] = null;
      this.writers[c] = null;
      s = null;
    }
    s ??= this.connect(c);
    this.parsers[c].noBody = req.head;
    this.sentAt[c] = this.readUs >= 0 ? this.readUs : nowUs();
    // An open plain-TCP socket with nothing queued in its Writable takes the bytes straight to
    // its handle (the same one syscall s.write ends in; libuv queues behind a write still in
    // progress). TLS, a socket still connecting, and anything else go through write().
    const w = this.writers[c];
    if (w !== null && s.writableLength === 0) w(req.bytes);
    else s.write(req.bytes);
  }

  private connect(c: number): net.Socket {
    const onread = { buffer: this.readBuf, callback: this.readers[c] };
    // https: the same prebuilt request bytes, written into a TLS socket.
    const s = this.secure
      ? tls
          .connect({ host: this.host, port: this.port, onread, ...this.tlsOpts } as tls.ConnectionOptions)
          .setNoDelay(true)
      : net.connect({ host: this.host, port: this.port, noDelay: true, onread });
    this.up[c] = 0;
    this.writers[c] = null;
    if (directStream !== null) {
      const reader = this.readers[c];
      const buf = this.readBuf;
      directStream.routeReads(s, (bytes) => reader(bytes, buf));
    }
    s.once(this.secure ? 'secureConnect' : 'connect', () => {
      if (this.sockets[c] !== s) return;
      this.up[c] = 1;
      if (!this.secure && directStream !== null) this.writers[c] = directStream.writer(s);
    });
    // Once the socket errs or the server ends it, it is done: destroyed at once, so its 'close'
    // (below) always follows and fails the request in flight with the first error. A TLS socket
    // is not destroyed by Node after the handshake: over TLS 1.3 a server that refuses the
    // client certificate sends its alert after the handshake, the socket emits it as 'error' and
    // stays open, and a request written into it then stays pending for good, with no 'close'
    // (neither answered, failed nor closed: only the timeout would end it).
    s.on('error', (e: NodeJS.ErrnoException) => {
      if (this.sockets[c] === s) this.sockErr[c] ??= e.code ?? e.message;
      s.destroy();
    });
    s.on('end', () => s.destroy());
    s.on('close', () => {
      if (this.sockets[c] !== s) return;
      this.sockets[c] = null;
      this.writers[c] = null;
      if (this.parsers[c].onClose()) return;
      if (this.reqs[c] !== null) this.fail(c, this.sockErr[c] ?? 'connection closed', false);
    });
    this.sockets[c] = s;
    this.sockErr[c] = null;
    this.parsers[c].reset();
    this.reused[c] = 0;
    this.connects++;
    return s;
  }

  private drop(c: number): void {
    const s = this.sockets[c];
    if (s === null) return;
    this.sockets[c] = null;
    this.writers[c] = null;
    s.destroy();
  }

  private onResponse(c: number, status: number, body: number, close: boolean): void {
    if (this.reqs[c] === null) {
      this.drop(c); // a response nobody asked for: the connection is out of step
      return;
    }
    this.reused[c] = 1;
    if (close) this.drop(c);
    const ok = this.okStatus(status);
    this.finish(c, status, ok, ok ? null : `HTTP ${status}`, body);
  }

  private fail(c: number, error: string, protocol: boolean): void {
    const req = this.reqs[c];
    const stale = !protocol && this.reused[c] === 1 && this.parsers[c].received === 0;
    this.drop(c);
    if (req === null || this.closed) return;
    if (stale && this.retried[c] === 0) {
      this.retried[c] = 1;
      this.retries++;
      this.write(c, req);
      return;
    }
    this.finish(c, 0, false, error, 0);
  }

  private checkTimeouts(): void {
    const now = nowUs();
    for (let c = 0; c < this.connections; c++) {
      if (this.reqs[c] !== null && now - this.sentAt[c] > this.timeoutUs) {
        this.timeouts++;
        this.drop(c);
        this.finish(c, 0, false, 'timeout', 0);
      }
    }
  }

  private finish(c: number, status: number, ok: boolean, error: string | null, bytes: number): void {
    const req = this.reqs[c]!;
    this.reqs[c] = null;
    const t = this.readUs >= 0 ? this.readUs : nowUs();
    const ev = this.ev;
    ev.type = req.method;
    ev.name = req.name;
    ev.latencyUs = t - this.intended[c];
    this.coalescer?.observe(ev.latencyUs);
    ev.ok = ok;
    ev.status = status;
    ev.error = error;
    ev.bytes = bytes;
    ev.timeUs = t;
    this.o.events.emit(ev);
    const tag = this.tags[c];
    const resolve = this.resolvers[c];
    this.resolvers[c] = null;
    // hand the connection to the oldest waiting request before telling the caller
    const q = this.queue;
    if (q.length > 0 && !this.closed) {
      const i = q.first;
      const qt = q.tag(i);
      const qr = q.req(i);
      const qi = q.intendedUs(i);
      const qres = q.resolve(i);
      q.shift();
      this.dispatch(c, qt, qr, qi, qres);
    } else this.free[this.freeTop++] = c;
    if (resolve !== null) resolve({ status, ok, error, bodyBytes: bytes, latencyUs: ev.latencyUs });
    else this.o.onDone?.(tag, t);
  }
}
