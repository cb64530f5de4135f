/**
 * What the WebSocket hub sends: an update serialised once per symbol per flush, framed once
 * as a complete server-to-client WebSocket text frame (RFC 6455, unmasked, no extensions),
 * and that same Buffer written to every subscriber's socket. Control replies (subscribed,
 * error, pong) are small and rare; they go through ws's own `send`.
 */
import type { MarketUpdate } from '../../bus/topics.ts';

/** A JSON number, or `null` for a missing or non-finite value (NaN is not JSON). */
function num(x: number | null | undefined): number | string {
  return typeof x === 'number' && Number.isFinite(x) ? x : 'null';
}

/**
 * The update's JSON text. `timestamp` is the update's publish time in epoch seconds (as
 * a Python client expects: `latency = time.time() - data["timestamp"]`); `seq` counts the
 * symbol's updates seen by the hub, so a gap tells a client that it got the latest value
 * after intermediate ones were coalesced or conflated.
 */
export function updateJson(
  u: MarketUpdate,
  seq: number,
  symbolJson: string,
  type: 'update' | 'snapshot' = 'update',
): string {
  return `{"type":"${type}","symbol":${symbolJson},"seq":${seq},"last":${num(u.last)},"bid":${num(u.bid)},"ask":${num(u.ask)},"volume":${num(u.volume)},"vwap":${num(u.vwap)},"ticks":${num(u.ticks)},"timestamp":${num(u.timestamp)}}`;
}

/** A complete, unmasked, final WebSocket text frame holding `payload` (UTF-8). */
export function textFrame(payload: string): Buffer {
  const len = Buffer.byteLength(payload);
  const header = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const buf = Buffer.allocUnsafe(header + len);
  buf[0] = 0x81; // FIN + text opcode
  if (len < 126) {
    buf[1] = len;
  } else if (len < 65_536) {
    buf[1] = 126;
    buf.writeUInt16BE(len, 2);
  } else {
    buf[1] = 127;
    buf.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    buf.writeUInt32BE(len >>> 0, 6);
  }
  buf.write(payload, header, 'utf8');
  return buf;
}

/** An error frame: `field` names the field at fault, `symbol` the symbol a subscribe could not take. */
export function errorJson(code: string, message: string, field?: string, symbol?: string): string {
  const frame: { type: 'error'; code: string; message: string; field?: string; symbol?: string } = {
    type: 'error',
    code,
    message,
  };
  if (field !== undefined) frame.field = field;
  if (symbol !== undefined) frame.symbol = symbol;
  return JSON.stringify(frame);
}

export function ackJson(type: 'subscribed' | 'unsubscribed', symbol: string): string {
  return `{"type":"${type}","symbol":${JSON.stringify(symbol)}}`;
}
