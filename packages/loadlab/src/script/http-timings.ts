/**
 * Where a `tickstorm/http` request's time went, and its bytes as sent, read from undici's own
 * diagnostics channels (node:diagnostics_channel), so nothing is guessed:
 *
 *   undici:request:create      the request is made, synchronously inside undici's request()
 *                              call: tied here to the HopTimes `watch` was given just before
 *   undici:client:sendHeaders  its head goes on the wire (a connection was free or was made):
 *                              the head's text as written (request line and headers, latin1)
 *   undici:request:bodySent    its body (if any) is written
 *   undici:request:headers     the response's head came
 *
 * and, per connection (timeConnection, from the connector), its DNS lookup, TCP connect and
 * TLS handshake, given to the first request written on it (the one that waited for it).
 *
 * From which (k6's names): connecting = the DNS answer (or the connect call, for an IP) to the
 * TCP connection; tls_handshaking = that to the handshake's end (https); both 0 on a reused
 * connection; blocked = the rest of the time from the request's start (an iteration's first
 * request: its intended start) to its head written: a late start, the DNS lookup, waiting
 * for the connection; sending = head written to body written;
 * waiting = body written to the response's head (time to first byte); receiving = the head to
 * the body's end. data_sent = the head's bytes (with the `content-length` line and the blank
 * line undici adds to it) and the body's.
 *
 * A request undici never sent (the connection failed) has no sendHeaders: all its time is
 * blocked, and nothing was sent. Other undici users in the thread (not watched) are ignored.
 * The tie holds because undici makes the request inside the call: the scripts' pools have no
 * connection limit (http.ts), so a request is never queued to be made later, in another call.
 */
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { nowUs } from '../util/clock.ts';

/** One request's moments (lab clock µs, 0: did not happen) and its head's bytes. */
export interface HopTimes {
  headSentUs: number;
  bodySentUs: number;
  responseUs: number;
  headBytes: number;
  /** The connection it opened (it was the first request written on it): TCP connect, TLS handshake, µs. */
  connectingUs: number;
  tlsUs: number;
}

export const newHopTimes = (): HopTimes => ({
  headSentUs: 0,
  bodySentUs: 0,
  responseUs: 0,
  headBytes: 0,
  connectingUs: 0,
  tlsUs: 0,
});

/** A connection's moments (lab clock µs, 0: not yet, or none: no DNS lookup for an IP). */
interface Connection {
  startUs: number;
  lookupUs: number;
  connectUs: number;
  secureUs: number;
  /** Its times went to the first request written on it. */
  claimed: boolean;
}

const connections = new WeakMap<object, Connection>();

/**
 * Times a connection from its start (the connector's call: tls-alert-connector.ts): the DNS
 * lookup (`lookup`), the TCP connect (`connect`) and, over https, the TLS handshake
 * (`secureConnect`). The first request written on it is the one that waited for it.
 */
export function timeConnection(socket: Socket, startedUs: number): void {
  const c: Connection = { startUs: startedUs, lookupUs: 0, connectUs: 0, secureUs: 0, claimed: false };
  connections.set(socket, c);
  // before undici's own listeners: it writes the first request as soon as it hears of the connection
  socket.prependOnceListener('lookup', () => {
    c.lookupUs = nowUs();
  });
  socket.prependOnceListener('connect', () => {
    c.connectUs = nowUs();
  });
  socket.prependOnceListener('secureConnect', () => {
    c.secureUs = nowUs();
  });
}

let creating: HopTimes | null = null;
const byRequest = new WeakMap<object, HopTimes>();

interface RequestMessage {
  request: { method?: string; contentLength?: number | null };
}

subscribe('undici:request:create', (m) => {
  if (creating === null) return;
  byRequest.set((m as RequestMessage).request, creating);
  creating = null;
});
subscribe('undici:client:sendHeaders', (m) => {
  const msg = m as RequestMessage & { headers: string; socket: object };
  const h = byRequest.get(msg.request);
  if (h === undefined) return;
  h.headSentUs = nowUs();
  h.headBytes = msg.headers.length;
  const c = connections.get(msg.socket);
  if (c === undefined || c.claimed) return;
  c.claimed = true;
  if (c.connectUs === 0) return;
  // k6's: the DNS lookup is blocked time, the connect from its answer on
  h.connectingUs = c.connectUs - (c.lookupUs === 0 ? c.startUs : c.lookupUs);
  h.tlsUs = c.secureUs === 0 ? 0 : c.secureUs - c.connectUs;
});
subscribe('undici:request:bodySent', (m) => {
  const h = byRequest.get((m as RequestMessage).request);
  if (h !== undefined) h.bodySentUs = nowUs();
});
subscribe('undici:request:headers', (m) => {
  const h = byRequest.get((m as RequestMessage).request);
  if (h !== undefined && h.responseUs === 0) h.responseUs = nowUs();
});

/** The next request undici makes (synchronously, in the call that follows) records into `h`. */
export function watch(h: HopTimes): void {
  creating = h;
}

/** After the call: a request undici did not make (it threw at once) leaves nothing watched. */
export function unwatch(): void {
  creating = null;
}

function digits(n: number): number {
  let d = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) d++;
  return d;
}

/** Methods undici sends `content-length: 0` for when they have no body (client-h1.js). */
const EXPECTS_PAYLOAD = new Set(['PUT', 'POST', 'PATCH']);

/**
 * The bytes of the request as written: the head undici published (request line, host,
 * connection and the headers, each line with CRLF), the `content-length` line it writes after
 * it, the blank line, and the body.
 */
export function bytesSent(h: HopTimes, method: string, bodyBytes: number): number {
  if (h.headSentUs === 0) return 0;
  // `content-length: N\r\n`: 18 bytes and N's digits
  const length = bodyBytes > 0 ? 18 + digits(bodyBytes) : EXPECTS_PAYLOAD.has(method) ? 18 + 1 : 0;
  return h.headBytes + length + 2 + bodyBytes;
}

/** k6's timings of one request (its `res.timings`), ms with µs precision. */
export interface PhaseTimes {
  /**
   * From the request's start to its head on the wire, less connecting and tls_handshaking: a
   * late start (an iteration's first request is timed from its intended start), a new
   * connection's DNS lookup, waiting for the connection, ms.
   */
  blocked: number;
  /** A new connection's TCP connect (0 on a reused one), ms. */
  connecting: number;
  /** A new https connection's TLS handshake (0 on a reused one, and over http), ms. */
  tls_handshaking: number;
  /** Writing the request's body (after its head), ms. */
  sending: number;
  /** The request written to the response's head (time to first byte), ms. */
  waiting: number;
  /** Reading the body, ms. */
  receiving: number;
}

/** The phases and, as `duration`, the whole request (their sum). */
export interface Timings extends PhaseTimes {
  /** Whole request in ms (from the intended start for an iteration's first request). */
  duration: number;
}

export function phases(h: HopTimes, fromUs: number, endUs: number): Timings {
  const ms = (us: number) => Math.max(0, Math.round(us)) / 1000;
  const duration = ms(endUs - fromUs);
  if (h.headSentUs === 0)
    return {
      duration,
      blocked: duration,
      connecting: 0,
      tls_handshaking: 0,
      sending: 0,
      waiting: 0,
      receiving: 0,
    };
  const sent = h.bodySentUs === 0 ? h.headSentUs : h.bodySentUs;
  const head = h.responseUs === 0 ? endUs : h.responseUs;
  return {
    duration,
    blocked: ms(h.headSentUs - fromUs - h.connectingUs - h.tlsUs),
    connecting: ms(h.connectingUs),
    tls_handshaking: ms(h.tlsUs),
    sending: ms(sent - h.headSentUs),
    waiting: ms(head - sent),
    receiving: ms(endUs - head),
  };
}

/** k6's timing trends of http requests besides http_req_duration, each with its PhaseTimes field. */
export const PHASE_METRICS = [
  ['http_req_blocked', 'blocked'],
  ['http_req_connecting', 'connecting'],
  ['http_req_tls_handshaking', 'tls_handshaking'],
  ['http_req_sending', 'sending'],
  ['http_req_waiting', 'waiting'],
  ['http_req_receiving', 'receiving'],
] as const satisfies readonly (readonly [string, keyof PhaseTimes])[];

/** Their names. */
export const HTTP_PHASES: readonly string[] = PHASE_METRICS.map(([metric]) => metric);
