/**
 * The protocol's coded errors: what a decoder or a decimal conversion refuses.
 * One registry for the package; the trading services map every code to an HTTP
 * status in exactly one place (packages/trading/src/errors.ts).
 */
export const ProtocolErrorCode = {
  MALFORMED_JSON: 'PRT_ERR_MALFORMED_JSON',
  INVALID_FIELD: 'PRT_ERR_INVALID_FIELD',
  MISSING_FIELD: 'PRT_ERR_MISSING_FIELD',
  UNKNOWN_SYMBOL: 'PRT_ERR_UNKNOWN_SYMBOL',
  PRICE_OFF_TICK: 'PRT_ERR_PRICE_OFF_TICK',
  QTY_OFF_LOT: 'PRT_ERR_QTY_OFF_LOT',
  OUT_OF_RANGE: 'PRT_ERR_OUT_OF_RANGE',
  NOT_POSITIVE: 'PRT_ERR_NOT_POSITIVE',
  NOT_FINITE: 'PRT_ERR_NOT_FINITE',
  INVALID_INSTRUMENT: 'PRT_ERR_INVALID_INSTRUMENT',
  /** A frame larger than the receiver's application limit (answered, not fatal). */
  FRAME_TOO_LARGE: 'PRT_ERR_FRAME_TOO_LARGE',
  /** A binary frame whose header, symbol table or length does not decode. */
  MALFORMED_FRAME: 'PRT_ERR_MALFORMED_FRAME',
  /**
   * A tick timestamp further ahead of the receiver's clock than it accepts (market-data: 10 s by
   * default): the tick is not applied, the connection stays open.
   */
  TIMESTAMP_AHEAD: 'PRT_ERR_TIMESTAMP_AHEAD',
  /**
   * A tick carrying a bid above its ask (a crossed quote, which no market shows): the tick is
   * not applied, the connection stays open. A locked quote (bid = ask) is accepted.
   */
  CROSSED_QUOTE: 'PRT_ERR_CROSSED_QUOTE',
  /**
   * More ticks of one frame were rejected than the receiver answers one by one (market-data: 100
   * per frame): one frame of this code counts the rest, by code. Every one of them is still
   * counted as rejected (acks, stats).
   */
  TOO_MANY_ERRORS: 'PRT_ERR_TOO_MANY_ERRORS',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  readonly field: string | undefined;
  constructor(code: ProtocolErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.field = field;
  }
}
