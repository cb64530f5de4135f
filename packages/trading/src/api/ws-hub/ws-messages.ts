/**
 * Client -> server messages on /ws/metrics. An asyncio client sends
 * `{"action":"subscribe","symbol":"SYM0"}` and a bare text `ping` when idle; we also accept
 * `unsubscribe`, `"symbols":[...]` for several at once, `"snapshot":true` on a subscribe (the
 * symbols' current values at once), and `{"action":"ping"}`. Anything else is a coded error
 * (the connection lives on): a field none of them takes (a misspelt `"snapshto":true` would
 * subscribe without the snapshot asked for) and a field given twice (`"symbol"` twice:
 * JSON.parse keeps the last, another reader the first), as in the HTTP bodies
 * (../../http/json-body.ts).
 */
import { cutText, ProtocolErrorCode, quoteValue } from '@tickstorm/protocol';
import { repeatedKey } from '../../http/repeated-key.ts';

export const MAX_SYMBOLS_PER_MESSAGE = 1_000;

const FIELDS = new Set(['action', 'symbol', 'symbols', 'snapshot']);

export type ClientCommand =
  | { kind: 'ping' }
  | { kind: 'subscribe'; symbols: string[]; snapshot: boolean }
  | { kind: 'unsubscribe'; symbols: string[] }
  | { kind: 'error'; code: string; message: string; field?: string };

/** An error frame's command; `field` names the field at fault, as /stream's error frames do. */
function error(code: string, message: string, field?: string): ClientCommand {
  return field === undefined ? { kind: 'error', code, message } : { kind: 'error', code, message, field };
}

export function parseClientMessage(text: string): ClientCommand {
  const trimmed = text.trim();
  if (trimmed === 'ping') return { kind: 'ping' };
  let msg: unknown;
  try {
    msg = JSON.parse(trimmed);
  } catch {
    return error(
      ProtocolErrorCode.MALFORMED_JSON,
      'message is not valid JSON (expected {"action":"subscribe","symbol":"SYM0"} or the text "ping")',
    );
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    return error(ProtocolErrorCode.INVALID_FIELD, 'message must be a JSON object with an "action"');
  }
  const fields = Object.keys(msg);
  for (const name of fields) {
    if (!FIELDS.has(name)) {
      return error(
        ProtocolErrorCode.INVALID_FIELD,
        `unknown field ${quoteValue(name)}: a message takes action, symbol, symbols and snapshot`,
        // cut as every refusal cuts a name: a 64 KiB one is not echoed whole
        cutText(name),
      );
    }
  }
  const twice = repeatedKey(trimmed, fields.length);
  if (twice !== undefined) {
    return error(
      ProtocolErrorCode.INVALID_FIELD,
      `field ${quoteValue(twice)} is given twice: which one was meant is ambiguous`,
      twice,
    );
  }
  const { action, symbol, symbols, snapshot } = msg as Record<string, unknown>;
  if (action === undefined) return error(ProtocolErrorCode.MISSING_FIELD, 'missing "action"', 'action');
  if (action === 'ping') return { kind: 'ping' };
  if (action !== 'subscribe' && action !== 'unsubscribe') {
    return error(
      ProtocolErrorCode.INVALID_FIELD,
      `unknown action ${JSON.stringify(action)} (expected "subscribe", "unsubscribe" or "ping")`,
      'action',
    );
  }
  const list: string[] = [];
  if (symbol !== undefined) {
    if (typeof symbol !== 'string')
      return error(ProtocolErrorCode.INVALID_FIELD, '"symbol" must be a string', 'symbol');
    list.push(symbol);
  }
  if (symbols !== undefined) {
    if (!Array.isArray(symbols) || symbols.some((s) => typeof s !== 'string')) {
      return error(ProtocolErrorCode.INVALID_FIELD, '"symbols" must be an array of strings', 'symbols');
    }
    if (symbols.length > MAX_SYMBOLS_PER_MESSAGE) {
      return error(
        ProtocolErrorCode.OUT_OF_RANGE,
        `too many symbols in one message: ${symbols.length} > ${MAX_SYMBOLS_PER_MESSAGE}`,
        'symbols',
      );
    }
    if (symbols.length === 0 && symbol === undefined) {
      return error(
        ProtocolErrorCode.INVALID_FIELD,
        `"symbols" is empty: ${action} needs at least one symbol`,
        'symbols',
      );
    }
    for (const s of symbols as string[]) list.push(s);
  }
  if (list.length === 0) {
    return error(
      ProtocolErrorCode.MISSING_FIELD,
      `${action} needs "symbol" (a string) or "symbols" (an array)`,
      'symbol',
    );
  }
  if (action === 'unsubscribe') return { kind: action, symbols: list };
  if (snapshot !== undefined && typeof snapshot !== 'boolean')
    return error(ProtocolErrorCode.INVALID_FIELD, '"snapshot" must be true or false', 'snapshot');
  return { kind: action, symbols: list, snapshot: snapshot === true };
}
