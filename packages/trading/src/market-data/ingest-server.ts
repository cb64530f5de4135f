/**
 * The market-data service (docs/spec.md, "market-data, port 5001"): a fastify app
 * (./market-data-routes.ts) and a WebSocket ingest endpoint on the same port.
 * `ws://HOST:PORT/stream` accepts text frames (one JSON tick or an array of ticks) and
 * binary tick batches (docs/market-data-protocol.md);
 * `?ack=1` turns on periodic acks. Upgrades on any other path get a coded 404.
 *
 *   const md = await startMarketDataService({ instruments, bus, host: '127.0.0.1', port: 5001 });
 *   md.stats(); md.state.bars('SYM0', '1s', 10); await md.close();
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { DEFAULT_PORTS, type InstrumentTable, quoteValue } from '@tickstorm/protocol';
import { WebSocketServer } from 'ws';
import {
  authorizeUpgrade,
  codeHandshakeErrors,
  handshakeRefusal,
  installAuth,
  type Refusal,
  refuseUpgrade,
  type SecurityOptions,
  upgradeRefusal,
} from '../auth/request-auth.ts';
import type { Bus } from '../bus/bus.ts';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { createHttpApp, errorBody, listen, type ServiceHandle } from '../http/http-app.ts';
import { disarmHeadersDeadline, type HttpLimits, overflowRefusal } from '../http/http-limits.ts';
import { unknownUpgradeQuery } from '../http/upgrade-query.ts';
import { servesWebSocket } from '../http/websocket-paths.ts';
import { LatencyHistogram } from '../stats/latency-histogram.ts';
import { RateMeter } from '../stats/rate-meter.ts';
import type { MarketDataStats } from '../stats/stats-types.ts';
import { DEFAULT_MAX_ERROR_FRAMES, IngestConnection, type OutgoingCounters } from './ingest-connection.ts';
import { type MetricsSink, startMetricsReporter } from './market-data-metrics.ts';
import { registerMarketDataRoutes } from './market-data-routes.ts';
import { MarketState, type MarketStateOptions } from './market-state.ts';
import { TickProcessor } from './tick-processor.ts';

export interface MarketDataServiceOptions extends MarketStateOptions {
  instruments: InstrumentTable;
  bus: Bus;
  metrics?: MetricsSink;
  host?: string;
  /** Default 5001; 0 picks a free port. */
  port?: number;
  /** WebSocket path (default /stream). */
  path?: string;
  /** Application frame limit: larger frames get a PRT_ERR_FRAME_TOO_LARGE error frame (default 1 MiB). */
  maxFrameBytes?: number;
  /** ws protocol limit: larger frames close the connection with 1009 (default 16 MiB). */
  maxPayloadBytes?: number;
  /** Unsent bytes per connection beyond which error frames and acks are suppressed (default 1 MiB). */
  maxOutgoingBytes?: number;
  /**
   * Rejected ticks of one frame answered with an error frame each (default 100); the rest get
   * one PRT_ERR_TOO_MANY_ERRORS frame counting them by code.
   */
  maxErrorFramesPerFrame?: number;
  ackIntervalMs?: number;
  metricsIntervalMs?: number;
  /** Keys / protected mode (auth/request-auth.ts): /stream needs the feed right. */
  security?: SecurityOptions;
  limits?: Partial<HttpLimits>;
  /** An ingest socket with no traffic for this long is closed (ms, default 60,000; 0 = never). */
  idleTimeoutMs?: number;
  /**
   * A tick timestamp more than this far ahead of the server's clock is refused with
   * PRT_ERR_TIMESTAMP_AHEAD, not applied (ms, default 10,000; 0 = not checked).
   */
  maxTickAheadMs?: number;
}

export interface MarketDataServiceStats extends MarketDataStats {
  errorFramesSent: number;
  /** Error frames and acks not sent because a client did not read. */
  framesSuppressed: number;
  /** Ticks too late for any bar still held, per interval (processed otherwise). */
  lateTicks: { '1s': number; '1m': number };
  instruments: number;
  /** When these counters were read (epoch ms): rates between two samples use it. */
  sampledAt: number;
}

export interface MarketDataService extends ServiceHandle {
  stats(): MarketDataServiceStats;
  readonly state: MarketState;
  /** Frame received -> published (the processing latency). */
  readonly latency: LatencyHistogram;
}

export const MARKET_DATA_DEFAULTS = {
  port: DEFAULT_PORTS['market-data'],
  path: '/stream',
  maxFrameBytes: 1 << 20,
  maxPayloadBytes: 16 << 20,
  maxOutgoingBytes: 1 << 20,
  maxErrorFramesPerFrame: DEFAULT_MAX_ERROR_FRAMES,
  ackIntervalMs: 100,
  metricsIntervalMs: 1000,
  maxTickAheadMs: 10_000,
} as const;

export async function startMarketDataService(opts: MarketDataServiceOptions): Promise<MarketDataService> {
  const d = MARKET_DATA_DEFAULTS;
  const path = opts.path ?? d.path;
  const maxFrameBytes = opts.maxFrameBytes ?? d.maxFrameBytes;
  const maxOutgoingBytes = opts.maxOutgoingBytes ?? d.maxOutgoingBytes;
  const maxErrorFramesPerFrame = opts.maxErrorFramesPerFrame ?? d.maxErrorFramesPerFrame;
  const maxPayload = Math.max(opts.maxPayloadBytes ?? d.maxPayloadBytes, maxFrameBytes + 1);
  const positive = { maxFrameBytes, maxOutgoingBytes, maxPayload, maxErrorFramesPerFrame };
  for (const [name, v] of Object.entries(positive)) {
    if (!Number.isInteger(v) || v < 1) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `market-data ${name} must be a positive integer`,
      );
    }
  }
  const maxTickAheadMs = opts.maxTickAheadMs ?? d.maxTickAheadMs;
  if (!Number.isSafeInteger(maxTickAheadMs) || maxTickAheadMs < 0) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `market-data maxTickAheadMs must be an integer >= 0 (ms; 0 = not checked), got ${maxTickAheadMs}`,
      'maxTickAheadMs',
    );
  }
  const state = new MarketState(opts.instruments, opts);
  const latency = new LatencyHistogram();
  let latencyResets = 0;
  const rate = new RateMeter(5);
  const processor = new TickProcessor(
    opts.instruments,
    state,
    opts.bus,
    latency,
    rate,
    maxFrameBytes,
    maxTickAheadMs,
  );
  const counters: OutgoingCounters = { errorFramesSent: 0, framesSuppressed: 0 };
  const connections = new Set<IngestConnection>();
  let closing = false;

  const stats = (): MarketDataServiceStats => ({
    ticksReceived: processor.ticksReceived,
    ticksProcessed: processor.ticksProcessed,
    ticksRejected: processor.ticksRejected,
    rejectedByReason: Object.fromEntries(processor.rejectedByReason),
    framesReceived: processor.framesReceived,
    ticksPerSecond: rate.perSecond(),
    connections: connections.size,
    symbols: state.activeSymbols(),
    processingLatencyMs: latency.summaryMs(),
    errorFramesSent: counters.errorFramesSent,
    framesSuppressed: counters.framesSuppressed,
    lateTicks: { '1s': state.bars1s.lateTicks, '1m': state.bars1m.lateTicks },
    instruments: opts.instruments.size,
    sampledAt: Date.now(),
  });

  const app = createHttpApp({ limits: opts.limits });
  installAuth(app, opts.security);
  const idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  registerMarketDataRoutes(app, {
    state,
    bus: opts.bus,
    stats,
    startedAt: Date.now(),
    resetLatency: () => {
      latency.reset();
      latencyResets++;
    },
  });

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload,
    perMessageDeflate: false,
    skipUTF8Validation: true,
    clientTracking: false,
  });
  codeHandshakeErrors(wss);

  servesWebSocket(app.server, path);
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const reqPath = q < 0 ? url : url.slice(0, q);
    const overflow = overflowRefusal(socket);
    if (overflow !== undefined) {
      refuseUpgrade(socket, upgradeRefusal(TradingErrorCode.TOO_MANY_CONNECTIONS, overflow));
      return;
    }
    if (reqPath !== path || closing) {
      rejectUpgrade(socket, closing ? 503 : 404, reqPath);
      return;
    }
    const who = authorizeUpgrade(opts.security, req, path);
    if (who !== undefined && 'status' in who) {
      refuseUpgrade(socket, who as Refusal);
      return;
    }
    const handshake = handshakeRefusal(req);
    if (handshake !== undefined) {
      refuseUpgrade(socket, handshake);
      return;
    }
    // `?acks=1` must not quietly open without acks: a parameter /stream does not take is refused
    const unknown = unknownUpgradeQuery(url, path, STREAM_QUERY);
    if (unknown !== undefined) {
      refuseUpgrade(socket, upgradeRefusal(unknown.code, unknown.message, unknown.field));
      return;
    }
    const acks = q < 0 ? [] : new URLSearchParams(url.slice(q + 1)).getAll('ack');
    const ack = acks.length === 0 ? null : acks[0];
    // `?ack=yes` must not quietly mean "no acks" to a client waiting for them; a bad value is
    // refused as on every route's query (TRD_ERR_INVALID_QUERY naming it), `ack` given twice too
    const badAck =
      acks.length > 1
        ? 'ack must be given once'
        : ack !== null && !ACK_VALUES.includes(ack)
          ? `ack must be 1, true, 0 or false, or given alone (got ${quoteValue(ack)})`
          : undefined;
    if (badAck !== undefined) {
      refuseUpgrade(socket, upgradeRefusal(TradingErrorCode.INVALID_QUERY, badAck, 'ack'));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      (socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      if (idleTimeoutMs > 0) {
        disarmHeadersDeadline(socket);
        (socket as Socket).setTimeout(idleTimeoutMs);
        // A close frame the client can read (1001 and why), then the socket is cut if the
        // client does not answer it: a bare terminate() left it "connection lost", no reason.
        socket.once('timeout', () => {
          ws.close(1001, `idle: no traffic for ${idleTimeoutMs} ms`);
          const cut = setTimeout(() => ws.terminate(), IDLE_CLOSE_GRACE_MS);
          cut.unref();
          ws.once('close', () => clearTimeout(cut));
        });
      }
      const conn = new IngestConnection(
        ws,
        processor,
        ack === '1' || ack === 'true' || ack === '',
        maxOutgoingBytes,
        counters,
        maxErrorFramesPerFrame,
      );
      connections.add(conn);
      ws.on('message', conn.onMessage);
      ws.on('error', () => {}); // protocol errors (e.g. > maxPayload) close the socket; 'close' follows
      ws.on('close', () => connections.delete(conn));
    });
  });

  const ackTimer = setInterval(() => {
    for (const c of connections) c.periodicAck();
  }, opts.ackIntervalMs ?? d.ackIntervalMs);
  ackTimer.unref();
  const stopMetrics =
    opts.metrics === undefined
      ? () => {}
      : startMetricsReporter(
          opts.metrics,
          {
            ticksProcessed: () => processor.ticksProcessed,
            ticksRejected: () => processor.ticksRejected,
            latency,
            latencyResets: () => latencyResets,
          },
          opts.metricsIntervalMs ?? d.metricsIntervalMs,
        );

  const handle = await listen('market-data', app, opts.host ?? '127.0.0.1', opts.port ?? d.port, async () => {
    closing = true;
    clearInterval(ackTimer);
    stopMetrics();
    await closeAll(connections);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  return Object.assign(handle, { stats, state, latency });
}

/** `?ack=` values: on (1, true, or `?ack` alone) or off (0, false; the default when absent). */
/** How long an idle ingest socket's close frame waits for the client's before the socket is cut (ms). */
const IDLE_CLOSE_GRACE_MS = 1_000;

const ACK_VALUES: readonly string[] = ['1', 'true', '', '0', 'false'];
/** The query parameters /stream takes besides the signing ones (http/upgrade-query.ts). */
const STREAM_QUERY: readonly string[] = ['ack'];

function rejectUpgrade(socket: Duplex, status: 404 | 503, path: string): void {
  const body = JSON.stringify(
    status === 404
      ? errorBody(TradingErrorCode.NOT_FOUND, `no WebSocket endpoint at ${path.slice(0, 100)}`)
      : errorBody(TradingErrorCode.SHUTTING_DOWN, 'market-data is shutting down'),
  );
  const reason = status === 404 ? 'Not Found' : 'Service Unavailable';
  socket.on('error', () => {}); // a peer resetting a refused upgrade is not our error
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Closes every ingest socket (1001), terminating those that do not finish within `graceMs`. */
async function closeAll(connections: Set<IngestConnection>, graceMs = 1000): Promise<void> {
  const pending = [...connections].map(
    (c) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          c.ws.terminate();
          resolve();
        }, graceMs);
        c.ws.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        c.ws.close(1001, 'server shutting down');
      }),
  );
  await Promise.all(pending);
}
