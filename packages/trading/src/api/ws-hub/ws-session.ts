/**
 * What the hub does with a client's message: subscribe / unsubscribe (one reply per symbol;
 * a subscribe with `"snapshot":true` also answers with the symbol's current value, a
 * `snapshot`, when there is one),
 * text `ping` -> text `pong`, and a coded error frame for anything it cannot act on. The
 * connection always lives on; only ws itself closes it (oversized message, protocol error).
 */
import { cutText, ProtocolErrorCode } from '@tickstorm/protocol';
import { WebSocket } from 'ws';
import type { MarketUpdate } from '../../bus/topics.ts';
import type { Channel, HubClient } from './hub-client.ts';
import { ackJson, errorJson, updateJson } from './ws-frame.ts';
import type { WsHubOptions } from './ws-hub-options.ts';
import { parseClientMessage } from './ws-messages.ts';

export class ClientSession {
  errorFramesSent = 0;

  constructor(
    private readonly opts: Pick<
      WsHubOptions,
      'isKnownSymbol' | 'unknownSymbolMessage' | 'maxSymbolsPerClient'
    >,
    private readonly channel: (symbol: string) => Channel,
    /** The symbol's latest update seen by the hub (FanOut.current), if any. */
    private readonly current: (symbol: string) => MarketUpdate | undefined = () => undefined,
  ) {}

  onMessage(client: HubClient, data: unknown, isBinary: boolean): void {
    if (client.closingSince !== 0) return;
    if (isBinary) {
      this.error(client, ProtocolErrorCode.INVALID_FIELD, 'binary messages are not accepted: send JSON text');
      return;
    }
    const cmd = parseClientMessage(String(data));
    switch (cmd.kind) {
      case 'ping':
        this.send(client, 'pong');
        return;
      case 'error':
        this.error(client, cmd.code, cmd.message, cmd.field);
        return;
      case 'subscribe':
        for (const symbol of cmd.symbols) this.subscribe(client, symbol, cmd.snapshot);
        return;
      case 'unsubscribe':
        for (const symbol of cmd.symbols) this.unsubscribe(client, symbol);
        return;
    }
  }

  /** False (after an UNKNOWN_SYMBOL error frame) when `symbol` is not an instrument. */
  private known(client: HubClient, symbol: string): boolean {
    if (this.opts.isKnownSymbol(symbol)) return true;
    // echoed cut to 64 characters, as every refusal names what it refuses
    const shown = cutText(symbol);
    const message = this.opts.unknownSymbolMessage?.(symbol) ?? `unknown symbol ${JSON.stringify(shown)}`;
    this.error(client, ProtocolErrorCode.UNKNOWN_SYMBOL, message, 'symbol', shown);
    return false;
  }

  private subscribe(client: HubClient, symbol: string, snapshot: boolean): void {
    if (!this.known(client, symbol)) return;
    const ch = this.channel(symbol);
    if (!client.subs.has(ch) && client.subs.size >= this.opts.maxSymbolsPerClient) {
      this.error(
        client,
        ProtocolErrorCode.OUT_OF_RANGE,
        `subscription limit reached (${this.opts.maxSymbolsPerClient} symbols per connection)`,
        'symbol',
        symbol,
      );
      return;
    }
    client.subscribe(ch);
    this.send(client, ackJson('subscribed', symbol));
    // Asked for: the current value at once, so a new screen is not empty until the next tick.
    // Not by default: a client that takes every message's `timestamp` for a latency would count
    // the value's age. Not when an update of the symbol waits for this turn's flush: that one
    // reaches the client anyway.
    if (!snapshot) return;
    const now = this.current(symbol);
    if (now !== undefined && !ch.dirty) this.send(client, updateJson(now, ch.seq, ch.symbolJson, 'snapshot'));
  }

  private unsubscribe(client: HubClient, symbol: string): void {
    if (!this.known(client, symbol)) return;
    client.unsubscribe(this.channel(symbol));
    this.send(client, ackJson('unsubscribed', symbol));
  }

  private error(client: HubClient, code: string, message: string, field?: string, symbol?: string): void {
    this.errorFramesSent++;
    this.send(client, errorJson(code, message, field, symbol));
  }

  private send(client: HubClient, text: string): void {
    if (client.ws.readyState === WebSocket.OPEN) client.ws.send(text);
  }
}
