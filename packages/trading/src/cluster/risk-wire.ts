/**
 * The messages of central pre-trade risk across processes (docs/deployment.md, "Risk across
 * processes"): an engine's check request and its answer (Subject.RISK_CHECK), the book events
 * engines publish for the risk manager (Subject.RISK_EVENTS: trades, status changes, releases,
 * state snapshots), and the risk manager's resync request (Subject.RISK_RESYNC).
 * Quantities are lots, prices ticks, books instrument indexes, accounts names.
 */

/** Subject.RISK_CHECK's request: one order, and the reservation id the engine chose for it. */
export interface RiskCheckRequest {
  /** `<engine instance id>:<sequence>`, unique per engine process. */
  res: string;
  symbol: string;
  book: number;
  side: number;
  type: number;
  priceTicks: number;
  lots: number;
  account: string;
}

/** Subject.RISK_CHECK's answer: a risk code (0 = pass); on a pass, the order's quantity is reserved under `res`. */
export interface RiskCheckReply {
  code: number;
  /** The reservation held for the order (null when denied). */
  res: string | null;
  /**
   * The node is rebuilding positions (at most its rebuild wait, 250 ms): no verdict yet and
   * nothing reserved; the engine asks again within its check's time budget.
   */
  retryInMs?: number;
}

/** A trade of an engine: the maker's and the taker's accounts by name. */
export interface TradeEvent {
  k: 't';
  book: number;
  px: number;
  qty: number;
  takerSide: number;
  maker: string;
  taker: string;
}

/**
 * An order status change that moves open quantity: an order's first event (prev NONE: its
 * acceptance, carrying the reservation of its check) or a cancel.
 */
export interface StatusEvent {
  k: 's';
  book: number;
  side: number;
  account: string;
  prev: number;
  st: number;
  rem: number;
  /** The reservation of the order's check, on its first event only. */
  res?: string;
}

/** The engine did not place an order whose check passed (journal down, refused, timed out): free its reservation. */
export interface ReleaseEvent {
  k: 'r';
  res: string;
}

/** One account's cells in an engine's state: [book, position, openBuy, openSell] (lots). */
export interface AccountCells {
  account: string;
  cells: [number, number, number, number][];
}

/**
 * An engine's positions and open quantities, answering the resync `epoch`, in parts (each well
 * under the server's largest message): parts 0..n, the last one flagged. The risk manager
 * applies the state once every part is in.
 */
export interface StateEvent {
  k: 'state';
  epoch: number;
  part: number;
  last: boolean;
  accounts: AccountCells[];
}

/** An engine started (or re-joined the bus): the risk manager answers with a resync. */
export interface HelloEvent {
  k: 'hello';
  /**
   * The engine's journal (host and data directory), when it keeps one. One process owns a
   * journal (its directory lock), so another engine id that said hello with the same journal
   * has died and this one recovered what it journalled: that id's reservations are freed.
   */
  journal?: string;
}

/** An engine leaves (graceful stop): the risk manager no longer waits for its state in a rebuild. */
export interface ByeEvent {
  k: 'bye';
}

export type RiskEvent = TradeEvent | StatusEvent | ReleaseEvent | StateEvent | HelloEvent | ByeEvent;

/** What an engine publishes on Subject.RISK_EVENTS: its id and the event. */
export interface RiskEventEnvelope {
  engine: string;
  e: RiskEvent;
}

/** Subject.RISK_RESYNC: every engine (or only `engine`) publishes a `state` event for `epoch`. */
export interface RiskResync {
  node: string;
  epoch: number;
  engine?: string;
}
