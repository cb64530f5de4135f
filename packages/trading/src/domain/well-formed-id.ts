/**
 * The shape of an account id and a clientOrderId, wherever one is taken (orders, /check, the
 * kill switch, GET /orders and /positions, agent requests): 1..64 printable ASCII characters
 * other than space (`!` to `~`), and the words every refusal of one uses.
 */

/** What a well-formed account or clientOrderId is, for the messages that refuse one. */
export const ID_RULE = '1..64 printable ASCII characters other than space';

const ID_RE = /^[\x21-\x7e]{1,64}$/;

/** Whether `s` is a well-formed account (or clientOrderId): ID_RULE. */
export function isWellFormedId(s: string): boolean {
  return ID_RE.test(s);
}
