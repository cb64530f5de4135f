/**
 * WebSocket `/ws/metrics`: ws in noServer mode, upgraded from the HTTP server's 'upgrade'
 * event for that path only. Clients subscribe to symbols (ws-session.ts); the bus's
 * MarketUpdates are fanned out by ws-fanout.ts (serialised once, conflated for slow
 * clients, which are disconnected past a bound). One sweep timer serves every client:
 * slow-client bounds, close deadlines, the lag probe and the heartbeat (both protocol
 * pings); no per-client timers, so 10,000 idle subscribers cost little beyond their sockets.
 */
import type { IncomingMessage, Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  codeHandshakeErrors,
  handshakeRefusal,
  type Refusal,
  refuseUpgrade,
  upgradeRefusal,
} from '../../auth/request-auth.ts';
import type { Bus } from '../../bus/bus.ts';
import { type MarketUpdate, Topic } from '../../bus/topics.ts';
import { type ErrorCode, TradingErrorCode } from '../../errors.ts';
import { overflowRefusal } from '../../http/http-limits.ts';
import { unknownUpgradeQuery } from '../../http/upgrade-query.ts';
import { servesWebSocket } from '../../http/websocket-paths.ts';
import type { LatencyHistogram } from '../../stats/latency-histogram.ts';
import { HubClient } from './hub-client.ts';
import { FanOut } from './ws-fanout.ts';
import { DEFAULT_WS_HUB_OPTIONS, type WsHubOptions, type WsHubStats } from './ws-hub-options.ts';
import { ClientSession } from './ws-session.ts';

export class WsHub {
  readonly opts: WsHubOptions;
  private readonly wss: WebSocketServer;
  private readonly fan: FanOut;
  private readonly session: ClientSession;
  private readonly clients = new Set<HubClient>();
  private nextId = 1;
  private heartbeatTimeouts = 0;
  private rejectedUpgrades = 0;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly unsubscribeBus: () => void;
  private server: Server | undefined;
  private closed = false;
  private onEmpty: (() => void) | undefined;
  /** Keys / protected mode: a refusal for an upgrade (auth/request-auth.ts authorizeUpgrade), or undefined. */
  authorize: ((req: IncomingMessage) => Refusal | undefined) | undefined;

  constructor(bus: Bus, opts: Partial<WsHubOptions> & Pick<WsHubOptions, 'isKnownSymbol'>) {
    this.opts = { ...DEFAULT_WS_HUB_OPTIONS, ...opts };
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: this.opts.maxPayloadBytes,
    });
    codeHandshakeErrors(this.wss);
    this.fan = new FanOut(this.opts);
    this.session = new ClientSession(
      this.opts,
      (symbol) => this.fan.channel(symbol),
      (symbol) => this.fan.current.get(symbol),
    );
    this.unsubscribeBus = bus.subscribe<MarketUpdate>(Topic.MARKET_UPDATE, this.fan.onUpdate);
    this.sweepTimer = setInterval(this.sweep, this.opts.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Upgrades `opts.path` on `server`; other paths get 404 unless another 'upgrade' listener exists. */
  attach(server: Server): void {
    this.server = server;
    servesWebSocket(server, this.opts.path);
    server.on('upgrade', this.onUpgrade);
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const overflow = overflowRefusal(socket);
    if (path !== this.opts.path) {
      if (this.server === undefined || this.server.listenerCount('upgrade') <= 1) {
        this.rejectUpgrade(
          socket,
          TradingErrorCode.NOT_FOUND,
          `no WebSocket endpoint at ${path.slice(0, 100)}`,
        );
      }
    } else if (overflow !== undefined) {
      this.rejectUpgrade(socket, TradingErrorCode.TOO_MANY_CONNECTIONS, overflow);
    } else if (this.closed) {
      this.rejectUpgrade(socket, TradingErrorCode.SHUTTING_DOWN, `${this.opts.path} is shutting down`);
    } else if (this.clients.size >= this.opts.maxClients) {
      this.rejectUpgrade(
        socket,
        TradingErrorCode.TOO_MANY_CONNECTIONS,
        `${this.opts.path} serves at most ${this.opts.maxClients} clients; retry later`,
      );
    } else if (this.authorize !== undefined && this.refused(req, socket)) {
      // refused with a coded 401/403
    } else if (this.badHandshake(req, socket)) {
      // refused with a coded 400/405 (what ws would answer in plain text)
    } else if (this.unknownQuery(url, socket)) {
      // a query parameter the endpoint does not take: 400 TRD_ERR_INVALID_QUERY naming it
    } else {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.add(ws, socket));
    }
  };

  private refused(req: IncomingMessage, socket: Duplex): boolean {
    const r = this.authorize?.(req);
    if (r === undefined) return false;
    this.rejectedUpgrades++;
    refuseUpgrade(socket, r);
    return true;
  }

  private badHandshake(req: IncomingMessage, socket: Duplex): boolean {
    const r = handshakeRefusal(req);
    if (r === undefined) return false;
    this.rejectedUpgrades++;
    refuseUpgrade(socket, r);
    return true;
  }

  private unknownQuery(url: string, socket: Duplex): boolean {
    const err = unknownUpgradeQuery(url, this.opts.path, []);
    if (err === undefined) return false;
    this.rejectedUpgrades++;
    refuseUpgrade(socket, upgradeRefusal(err.code, err.message, err.field));
    return true;
  }

  private rejectUpgrade(socket: Duplex, code: ErrorCode, message: string): void {
    this.rejectedUpgrades++;
    refuseUpgrade(socket, upgradeRefusal(code, message));
  }

  private add(ws: WebSocket, socket: Duplex): void {
    if (this.closed) {
      ws.close(1001, 'server shutting down');
      return;
    }
    const client = new HubClient(this.nextId++, ws, socket, this.fan.tryResume);
    client.lastProbeAt = performance.now();
    this.clients.add(client);
    (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.session.onMessage(client, data, isBinary);
      // Replies count against the same backlog bound as updates: a client that sends and
      // never reads is cut off rather than buffered without end.
      if (client.closingSince === 0) this.fan.checkBacklog(client);
    });
    ws.on('pong', () => this.onPong(client));
    ws.on('error', () => {}); // protocol errors: ws closes the connection itself
    ws.on('close', () => this.remove(client));
  }

  private remove(client: HubClient): void {
    if (!this.clients.delete(client)) return;
    this.fan.forget(client);
    if (this.clients.size === 0) this.onEmpty?.();
  }

  private onPong(cl: HubClient): void {
    if (cl.probeAt === 0) return; // unsolicited
    const now = performance.now();
    cl.rttMs = now - cl.probeAt;
    if (cl.probeForLag) cl.paceBy(cl.probeAt, now, this.opts);
    cl.probeAt = 0;
    if (cl.behind) this.fan.tryResume(cl);
  }

  /**
   * Every `sweepIntervalMs`: slow-client bounds and close deadlines (fan-out), then the lag
   * probe and heartbeat of each client (one ping at a time per client; see ws-hub-options.ts).
   */
  private readonly sweep = (): void => {
    const now = performance.now();
    this.fan.sweep(now);
    const { probeIntervalMs, maxLagMs, heartbeatMs } = this.opts;
    for (const cl of this.clients) {
      if (cl.closingSince !== 0) continue;
      if (cl.probeAt !== 0) {
        const waited = now - cl.probeAt;
        if (heartbeatMs > 0 && waited > heartbeatMs) {
          this.heartbeatTimeouts++;
          cl.ws.terminate();
        } else if (waited > maxLagMs && cl.probeForLag) {
          this.fan.markBehind(cl, now);
        }
        continue;
      }
      const active = cl.sent !== cl.sentAtProbe;
      const every = active ? probeIntervalMs : heartbeatMs;
      if (every > 0 && now - cl.lastProbeAt >= every && cl.ws.readyState === WebSocket.OPEN) {
        cl.probeAt = cl.lastProbeAt = now;
        cl.probeForLag = active; // an idle client's ping is only a heartbeat
        cl.sentAtProbe = cl.sent;
        cl.ws.ping();
      }
    }
  };

  /** Publish -> written to every subscriber's socket. */
  get fanoutLatency(): LatencyHistogram {
    return this.fan.latency;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  stats(): WsHubStats {
    let subscriptions = 0;
    let activeSymbols = 0;
    for (const ch of this.fan.channels.values()) {
      subscriptions += ch.subs.length;
      if (ch.subs.length > 0) activeSymbols++;
    }
    const n = this.fan.n;
    let rttSum = 0;
    let rttMax = 0;
    let pacedClients = 0;
    let paceSum = 0;
    let paceMax = 0;
    for (const cl of this.clients) {
      rttSum += cl.rttMs;
      if (cl.rttMs > rttMax) rttMax = cl.rttMs;
      if (cl.paceMs > 0) {
        pacedClients++;
        paceSum += cl.paceMs;
        if (cl.paceMs > paceMax) paceMax = cl.paceMs;
      }
    }
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return {
      clients: this.clients.size,
      subscriptions,
      activeSymbols,
      updatesReceived: n.updates,
      updatesCoalesced: n.coalesced,
      messagesSent: n.sent,
      bytesSent: n.bytes,
      messagesPerSecond: this.fan.rate.perSecond(),
      conflated: n.conflated,
      creditWaits: n.creditWaits,
      paced: n.paced,
      pacedClients,
      paceMs: { mean: r3(pacedClients > 0 ? paceSum / pacedClients : 0), max: r3(paceMax) },
      slowClients: this.fan.behind.size,
      slowEpisodes: n.episodes,
      slowResumed: n.resumed,
      slowDisconnects: n.slow,
      heartbeatTimeouts: this.heartbeatTimeouts,
      probeRttMs: { mean: r3(this.clients.size > 0 ? rttSum / this.clients.size : 0), max: r3(rttMax) },
      errorFramesSent: this.session.errorFramesSent,
      rejectedUpgrades: this.rejectedUpgrades,
      fanoutLatencyMs: this.fan.latency.summaryMs(),
    };
  }

  /** Stops fan-out and closes every client with 1001 (terminated after `closeGraceMs`). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeBus();
    this.fan.stop();
    clearInterval(this.sweepTimer);
    this.server?.off('upgrade', this.onUpgrade);
    if (this.clients.size === 0) return;
    const empty = new Promise<void>((resolve) => {
      this.onEmpty = resolve;
    });
    for (const cl of this.clients) {
      cl.behind = true; // no more update writes
      cl.ws.close(1001, 'server shutting down');
    }
    const grace = setTimeout(() => {
      for (const cl of this.clients) cl.ws.terminate();
    }, this.opts.closeGraceMs);
    await empty;
    clearTimeout(grace);
  }
}
