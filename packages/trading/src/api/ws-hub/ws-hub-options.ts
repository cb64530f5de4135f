/** Settings and statistics of the WebSocket hub (ws-hub.ts). */
import type { LatencySummary } from '../../stats/latency-histogram.ts';

export interface WsHubOptions {
  /** The only path upgraded (default `/ws/metrics`). */
  path: string;
  /** Subscriptions to anything else get a PRT_ERR_UNKNOWN_SYMBOL error frame. */
  isKnownSymbol: (symbol: string) => boolean;
  /** The error frame's message for an unknown symbol (default `unknown symbol "X"`). */
  unknownSymbolMessage?: (symbol: string) => string;
  /**
   * A client is behind when its socket holds more than `highWaterBytes` unflushed bytes AND
   * more than `lagMessages` update frames it has not taken. Behind: no more update writes,
   * only the latest update per symbol is remembered and sent when the socket drains.
   */
  highWaterBytes: number;
  lagMessages: number;
  /** Disconnected (close 1013) when behind for longer than this. */
  maxBehindMs: number;
  /** Terminated at once when the unflushed backlog exceeds this (control replies included). */
  maxBacklogBytes: number;
  /** A client that does not finish the close handshake within this is terminated. */
  closeGraceMs: number;
  /** The one timer: slow-client bounds, lag probes, close deadlines, heartbeat. */
  sweepIntervalMs: number;
  /**
   * Lag probe: a client that was sent updates gets a protocol ping every `probeIntervalMs`.
   * Its pong comes back only after the client has parsed everything sent before the ping,
   * so a probe unanswered for more than `maxLagMs` means the client is that far behind
   * even when the backlog sits in kernel buffers (invisible to the socket's writableLength):
   * it is then treated as behind (conflated) until the pong arrives.
   */
  probeIntervalMs: number;
  maxLagMs: number;
  /**
   * Credit by round trip: after every flush that wrote to a client with no probe in flight,
   * a ping follows the updates (in the same write). Updates keep flowing while that ping
   * is younger than `maxLagMs`; once older, the client is behind (latest per symbol kept)
   * until its pong shows it has read everything, then it gets the latest of each missed
   * symbol and a new probe. So what a client reads is at most `maxLagMs` (+ one flush)
   * older than the newest value, plus its own read time; a client whose pongs come back
   * within `maxLagMs` gets every flushed update. False: probes only every `probeIntervalMs`.
   */
  probeEveryFlush: boolean;
  /**
   * With `probeEveryFlush`: how many flushes a client may be sent after its unanswered
   * probe before it is behind (the credit of one round trip). Bounds what is in flight to
   * (1 + creditFlushes) x (one frame per subscribed symbol), whatever the feed rate: a
   * process holding many slow clients reads a bounded backlog. A client whose pong comes
   * back within one flush interval never runs out of credit. A client whose last round
   * trip took longer than `slowRttMs` gets no credit: one flush per round trip, the latest
   * of each symbol (a process holding 100 slow clients then reads 100 x symbols frames per
   * cycle, not twice that).
   */
  creditFlushes: number;
  slowRttMs: number;
  /**
   * Pacing by round trip, for clients whose library reads ahead of the application (Python's
   * websockets reads up to 32 messages into its own queue and answers pings from there, so
   * a quick pong does not mean the application has read anything). Each lag-probe round
   * trip longer than `slowRttMs` means that queue is full: the client's interval between
   * writes doubles (at least `minPaceMs`, at most `maxPaceMs`; an unpaced client is paced
   * at its second slow round trip in a row, so one pause does not pace it); each quick one
   * shortens it (by 1000/`paceRecoveryMs` per second), and below `minPaceMs` the
   * client is unpaced again. Between writes the client's symbols are conflated (latest
   * wins) and the latest of each goes out when its interval is up, so what it reads was the
   * newest value when written and its library queue stays short. A client whose pongs come
   * back within `slowRttMs` is never paced and gets every flushed update. `maxPaceMs` keeps
   * a paced subscriber of active symbols updated several times a second (an asyncio client
   * that hears nothing for 1 s sends a text ping); 0: no pacing.
   */
  minPaceMs: number;
  maxPaceMs: number;
  paceRecoveryMs: number;
  /** Each paced interval is `paceMs` x (1 +- paceJitter/2), at random (0: exactly `paceMs`). */
  paceJitter: number;
  /** Idle clients are pinged every `heartbeatMs`; a ping unanswered for that long: terminated (0 = off). */
  heartbeatMs: number;
  /**
   * Minimum time between two flushes. Updates of one symbol that arrive before the flush
   * are coalesced (latest wins). 0: flush on the next turn of the event loop. > 0: under a
   * flood at most one message per symbol per interval per client; an isolated update still
   * goes out on the next turn. Default 5 ms: at the flood's 100,000 ticks/s (2,000 updates/s
   * per symbol) per-turn flushing sends far more than clients can parse, and latency then
   * grows in socket buffers (see bench/ws-fanout.bench.ts); 5 ms keeps p95 under 10 ms.
   */
  flushIntervalMs: number;
  maxClients: number;
  maxSymbolsPerClient: number;
  /** Largest client message accepted by ws (bigger: close 1009). */
  maxPayloadBytes: number;
}

export const DEFAULT_WS_HUB_OPTIONS: Readonly<Omit<WsHubOptions, 'isKnownSymbol'>> = Object.freeze({
  path: '/ws/metrics',
  highWaterBytes: 64 * 1024,
  lagMessages: 32,
  maxBehindMs: 5_000,
  maxBacklogBytes: 4 * 1024 * 1024,
  closeGraceMs: 2_000,
  sweepIntervalMs: 250,
  probeIntervalMs: 500,
  maxLagMs: 50,
  probeEveryFlush: true,
  creditFlushes: 1,
  slowRttMs: 20,
  minPaceMs: 10,
  maxPaceMs: 250,
  paceRecoveryMs: 10_000,
  paceJitter: 0.5,
  heartbeatMs: 30_000,
  flushIntervalMs: 5,
  maxClients: 20_000,
  maxSymbolsPerClient: 1_000,
  maxPayloadBytes: 64 * 1024,
});

export interface WsHubStats {
  clients: number;
  subscriptions: number;
  /** Symbols with at least one subscriber. */
  activeSymbols: number;
  /** MarketUpdates taken from the bus for subscribed symbols. */
  updatesReceived: number;
  /** Replaced by a newer update of the same symbol before the flush (latest wins). */
  updatesCoalesced: number;
  /** Update frames written to sockets, and their bytes. */
  messagesSent: number;
  bytesSent: number;
  messagesPerSecond: number;
  /** Update writes withheld from clients that were behind (they got the latest later). */
  conflated: number;
  /** Times a client ran out of round-trip credit (conflated until its pong; not slow). */
  creditWaits: number;
  /** Update writes held back by a client's pace (it got the latest when its interval was up). */
  paced: number;
  /** Clients paced right now, and the mean and max of their intervals between writes (ms). */
  pacedClients: number;
  paceMs: { mean: number; max: number };
  /** Clients behind right now; times a client fell behind; times one caught up. */
  slowClients: number;
  slowEpisodes: number;
  slowResumed: number;
  /** Clients disconnected for staying behind (1013) or exceeding the backlog bound. */
  slowDisconnects: number;
  heartbeatTimeouts: number;
  /** Last lag-probe round trip (ping -> pong), over all clients: mean and max in ms. */
  probeRttMs: { mean: number; max: number };
  errorFramesSent: number;
  rejectedUpgrades: number;
  /** Publish time (the update's timestamp) -> frame handed to every subscriber's socket. */
  fanoutLatencyMs: LatencySummary;
}
