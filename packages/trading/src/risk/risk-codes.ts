/**
 * Pre-trade risk results. A denial is a VALUE, never an exception: RiskEngine.check
 * returns one of these small integers (0 = pass), the hot path keeps it as a number,
 * and the edge turns it into a wire name and a message (the API answers 422 with
 * TRD_ERR_RISK_REJECTED and the name below as the reason).
 *
 * The numbers and names are stable: new codes are only ever appended.
 */

export const RiskCode = {
  OK: 0,
  /** Order quantity above maxOrderQty. */
  MAX_QTY_EXCEEDED: 1,
  /** price x quantity above maxNotional (market: reference price; stop: trigger price). */
  NOTIONAL_EXCEEDS_MAX_PER_ORDER: 2,
  /** A limit price or stop trigger further than priceBandPct from the reference price. */
  PRICE_OUTSIDE_BAND: 3,
  /** |position + open same-side quantity + order quantity| above maxPosition. */
  POSITION_LIMIT_EXCEEDED: 4,
  /** The account's gross exposure after the order above maxGrossExposure. */
  GROSS_EXPOSURE_EXCEEDED: 5,
  /** The account's token bucket (maxOrdersPerSecond, burst the same) is empty. */
  RATE_LIMIT_EXCEEDED: 6,
  /** The book index names no instrument. */
  UNKNOWN_SYMBOL: 7,
  /** The account index is not registered (or the registry was full: index -1). */
  UNKNOWN_ACCOUNT: 8,
} as const;
export type RiskCode = (typeof RiskCode)[keyof typeof RiskCode];

/** Wire names, indexed by code. */
export const RISK_CODE_NAMES = [
  'OK',
  'MAX_QTY_EXCEEDED',
  'NOTIONAL_EXCEEDS_MAX_PER_ORDER',
  'PRICE_OUTSIDE_BAND',
  'POSITION_LIMIT_EXCEEDED',
  'GROSS_EXPOSURE_EXCEEDED',
  'RATE_LIMIT_EXCEEDED',
  'UNKNOWN_SYMBOL',
  'UNKNOWN_ACCOUNT',
] as const;
export type RiskCodeName = (typeof RISK_CODE_NAMES)[number];

/** Human messages, indexed by code. */
export const RISK_CODE_MESSAGES: readonly string[] = [
  'passed all pre-trade risk checks',
  'order quantity exceeds the maximum order quantity',
  'order notional (price x quantity) exceeds the maximum notional per order',
  'order price is outside the allowed band around the reference price',
  'order would take the account position beyond the position limit',
  "order would take the account's gross exposure beyond the limit",
  'account order rate limit exceeded',
  'unknown symbol',
  'unknown account',
];

export function riskCodeName(code: number): string {
  return RISK_CODE_NAMES[code] ?? `UNKNOWN_RISK_CODE_${code}`;
}

export function riskCodeMessage(code: number): string {
  return RISK_CODE_MESSAGES[code] ?? `unknown risk code ${code}`;
}

export function isRiskPass(code: number): boolean {
  return code === RiskCode.OK;
}
