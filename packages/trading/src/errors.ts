/**
 * The trading system's coded errors and the one place where every code (its own and
 * the protocol's) is mapped to an HTTP status. Risk denials are not errors: they are
 * values (see risk/risk-codes.ts) that the API answers with 422.
 */
import { ProtocolErrorCode } from '@tickstorm/protocol';

export const TradingErrorCode = {
  ILLEGAL_TRANSITION: 'TRD_ERR_ILLEGAL_TRANSITION',
  ORDER_NOT_FOUND: 'TRD_ERR_ORDER_NOT_FOUND',
  ORDER_NOT_CANCELLABLE: 'TRD_ERR_ORDER_NOT_CANCELLABLE',
  DUPLICATE_CLIENT_ORDER_ID: 'TRD_ERR_DUPLICATE_CLIENT_ORDER_ID',
  RISK_REJECTED: 'TRD_ERR_RISK_REJECTED',
  OVERLOADED: 'TRD_ERR_OVERLOADED',
  RATE_LIMITED: 'TRD_ERR_RATE_LIMITED',
  NOT_FOUND: 'TRD_ERR_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'TRD_ERR_METHOD_NOT_ALLOWED',
  /** A plain HTTP request to a WebSocket endpoint (http/websocket-paths.ts). */
  UPGRADE_REQUIRED: 'TRD_ERR_UPGRADE_REQUIRED',
  PAYLOAD_TOO_LARGE: 'TRD_ERR_PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE',
  INVALID_LIMITS: 'TRD_ERR_INVALID_LIMITS',
  INVALID_CONFIG: 'TRD_ERR_INVALID_CONFIG',
  INVALID_METRICS: 'TRD_ERR_INVALID_METRICS',
  METRICS_STORE: 'TRD_ERR_METRICS_STORE',
  LOG_CORRUPT: 'TRD_ERR_LOG_CORRUPT',
  /** Another live process holds the data directory's lock (persistence/dir-lock.ts): a start refuses. */
  DATA_DIR_IN_USE: 'TRD_ERR_DATA_DIR_IN_USE',
  /** A live process on the bus already runs a role only one may hold (cluster/role-in-use.ts): a start refuses. */
  SERVICE_IN_USE: 'TRD_ERR_SERVICE_IN_USE',
  /**
   * The role lease (cluster/role-lease.ts) cannot be taken at start (the bus's nats-server runs
   * without JetStream), or has lapsed while running: nothing is matched or granted until renewed.
   */
  ROLE_LEASE_UNAVAILABLE: 'TRD_ERR_ROLE_LEASE_UNAVAILABLE',
  SHUTTING_DOWN: 'TRD_ERR_SHUTTING_DOWN',
  /** The input log (journal) cannot take a write (ENOSPC, EIO): new orders are refused, reads served. */
  JOURNAL_UNAVAILABLE: 'TRD_ERR_JOURNAL_UNAVAILABLE',
  /** Bad query parameters on a listing (GET /orders?...). */
  INVALID_QUERY: 'TRD_ERR_INVALID_QUERY',
  /** A service this request needs does not run in this process (e.g. `serve api` alone). */
  SERVICE_UNAVAILABLE: 'TRD_ERR_SERVICE_UNAVAILABLE',
  /** Load shed: the process RSS is above the ABC_MEMORY_LIMIT high-water mark. */
  MEMORY_PRESSURE: 'TRD_ERR_MEMORY_PRESSURE',
  UNKNOWN_ACCOUNT: 'TRD_ERR_UNKNOWN_ACCOUNT',
  /** A step of POST /api/workflow/run did not answer within its timeout. */
  WORKFLOW_TIMEOUT: 'TRD_ERR_WORKFLOW_TIMEOUT',
  INTERNAL: 'TRD_ERR_INTERNAL',
  /** Keys are on and the request carries no X-TS-Key / X-TS-Timestamp / X-TS-Signature (auth/). */
  UNAUTHENTICATED: 'TRD_ERR_UNAUTHENTICATED',
  UNKNOWN_KEY: 'TRD_ERR_UNKNOWN_KEY',
  BAD_SIGNATURE: 'TRD_ERR_BAD_SIGNATURE',
  /** X-TS-Timestamp outside the +-5 s window. */
  STALE_TIMESTAMP: 'TRD_ERR_STALE_TIMESTAMP',
  /** The key's role lacks the right this route needs. */
  FORBIDDEN: 'TRD_ERR_FORBIDDEN',
  /** A trader key naming an account it does not hold. */
  ACCOUNT_FORBIDDEN: 'TRD_ERR_ACCOUNT_FORBIDDEN',
  /** The account is halted by the kill switch (POST /admin/accounts/:account/halt). */
  ACCOUNT_HALTED: 'TRD_ERR_ACCOUNT_HALTED',
  /** Protected mode (no --keys): only loopback peers are served. */
  LOOPBACK_ONLY: 'TRD_ERR_LOOPBACK_ONLY',
  /** Protected mode: a browser request or upgrade from a page of a non-loopback origin. */
  CROSS_ORIGIN: 'TRD_ERR_CROSS_ORIGIN',
  /** The request (headers and body) was not received within the request timeout (then closed). */
  REQUEST_TIMEOUT: 'TRD_ERR_REQUEST_TIMEOUT',
  /** The request headers exceed the size Node accepts (16 KiB). */
  HEADERS_TOO_LARGE: 'TRD_ERR_HEADERS_TOO_LARGE',
  /** Not an HTTP request Node can parse, or a path that does not percent-decode. */
  BAD_REQUEST: 'TRD_ERR_BAD_REQUEST',
  /** An `Expect` header other than `100-continue` (RFC 9110: 417). */
  EXPECTATION_FAILED: 'TRD_ERR_EXPECTATION_FAILED',
  /** A path parameter longer than the router accepts (100 characters). */
  URI_TOO_LONG: 'TRD_ERR_URI_TOO_LONG',
  /** More connections than the service's cap. */
  TOO_MANY_CONNECTIONS: 'TRD_ERR_TOO_MANY_CONNECTIONS',
  /** GET /api/metrics/query: more than its concurrent queries. */
  TOO_MANY_QUERIES: 'TRD_ERR_TOO_MANY_QUERIES',
  /** GET /api/metrics/query: interrupted at its timeout. */
  QUERY_TIMEOUT: 'TRD_ERR_QUERY_TIMEOUT',
  /** GET /api/metrics/query: not one read-only statement, or it reads outside the store. */
  QUERY_REFUSED: 'TRD_ERR_QUERY_REFUSED',
  /**
   * GET /api/metrics/query: the query process died under the query (killed, out of memory, past
   * its memory bound) or cannot open the shared metrics file; it is restarted: retry after Retry-After.
   */
  QUERY_UNAVAILABLE: 'TRD_ERR_QUERY_UNAVAILABLE',
  /**
   * GET /api/metrics/query: the query, running alone, took the query process past its memory
   * bound: it was ended, and the same query would be again (no Retry-After). Narrow it.
   */
  QUERY_TOO_LARGE: 'TRD_ERR_QUERY_TOO_LARGE',
  /** POST /api/metrics: the bounded ingest queue is full. */
  INGEST_QUEUE_FULL: 'TRD_ERR_INGEST_QUEUE_FULL',
  /** The central risk manager (another process, over the bus) did not answer the pre-trade check: nothing was done. */
  RISK_UNAVAILABLE: 'TRD_ERR_RISK_UNAVAILABLE',
  /**
   * Partitioned engines: the execution engine that owns the symbol (or the order) did not
   * answer over the bus (down, or too slow); retry after Retry-After (docs/deployment.md).
   */
  OWNER_UNAVAILABLE: 'TRD_ERR_OWNER_UNAVAILABLE',
} as const;

export type TradingErrorCode = (typeof TradingErrorCode)[keyof typeof TradingErrorCode];
export type ErrorCode = TradingErrorCode | ProtocolErrorCode;

export class TradingError extends Error {
  readonly code: TradingErrorCode;
  readonly field: string | undefined;
  /** Seconds a client should wait before retrying (a transient 503: sent as Retry-After). */
  readonly retryAfterS: number | undefined;
  constructor(code: TradingErrorCode, message: string, field?: string, retryAfterS?: number) {
    super(message);
    this.name = 'TradingError';
    this.code = code;
    this.field = field;
    this.retryAfterS = retryAfterS;
  }
}

/** HTTP status for every error code: the only such table in the trading package. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  [ProtocolErrorCode.MALFORMED_JSON]: 400,
  [ProtocolErrorCode.INVALID_FIELD]: 400,
  [ProtocolErrorCode.MISSING_FIELD]: 400,
  [ProtocolErrorCode.UNKNOWN_SYMBOL]: 400,
  [ProtocolErrorCode.PRICE_OFF_TICK]: 400,
  [ProtocolErrorCode.QTY_OFF_LOT]: 400,
  [ProtocolErrorCode.OUT_OF_RANGE]: 400,
  [ProtocolErrorCode.NOT_POSITIVE]: 400,
  [ProtocolErrorCode.NOT_FINITE]: 400,
  [ProtocolErrorCode.INVALID_INSTRUMENT]: 400,
  [ProtocolErrorCode.FRAME_TOO_LARGE]: 413,
  [ProtocolErrorCode.MALFORMED_FRAME]: 400,
  [ProtocolErrorCode.TIMESTAMP_AHEAD]: 400,
  [ProtocolErrorCode.CROSSED_QUOTE]: 400,
  [ProtocolErrorCode.TOO_MANY_ERRORS]: 400,
  [TradingErrorCode.ILLEGAL_TRANSITION]: 409,
  [TradingErrorCode.ORDER_NOT_FOUND]: 404,
  [TradingErrorCode.ORDER_NOT_CANCELLABLE]: 409,
  [TradingErrorCode.DUPLICATE_CLIENT_ORDER_ID]: 409,
  [TradingErrorCode.RISK_REJECTED]: 422,
  [TradingErrorCode.OVERLOADED]: 503,
  [TradingErrorCode.RATE_LIMITED]: 429,
  [TradingErrorCode.NOT_FOUND]: 404,
  [TradingErrorCode.METHOD_NOT_ALLOWED]: 405,
  [TradingErrorCode.UPGRADE_REQUIRED]: 426,
  [TradingErrorCode.PAYLOAD_TOO_LARGE]: 413,
  [TradingErrorCode.UNSUPPORTED_MEDIA_TYPE]: 415,
  [TradingErrorCode.INVALID_LIMITS]: 400,
  [TradingErrorCode.INVALID_CONFIG]: 400,
  [TradingErrorCode.INVALID_METRICS]: 400,
  [TradingErrorCode.METRICS_STORE]: 500,
  [TradingErrorCode.LOG_CORRUPT]: 500,
  [TradingErrorCode.DATA_DIR_IN_USE]: 500,
  [TradingErrorCode.SERVICE_IN_USE]: 500,
  [TradingErrorCode.ROLE_LEASE_UNAVAILABLE]: 503,
  [TradingErrorCode.SHUTTING_DOWN]: 503,
  [TradingErrorCode.JOURNAL_UNAVAILABLE]: 503,
  [TradingErrorCode.INVALID_QUERY]: 400,
  [TradingErrorCode.SERVICE_UNAVAILABLE]: 503,
  [TradingErrorCode.MEMORY_PRESSURE]: 503,
  [TradingErrorCode.UNKNOWN_ACCOUNT]: 404,
  [TradingErrorCode.WORKFLOW_TIMEOUT]: 504,
  [TradingErrorCode.INTERNAL]: 500,
  [TradingErrorCode.UNAUTHENTICATED]: 401,
  [TradingErrorCode.UNKNOWN_KEY]: 401,
  [TradingErrorCode.BAD_SIGNATURE]: 401,
  [TradingErrorCode.STALE_TIMESTAMP]: 401,
  [TradingErrorCode.FORBIDDEN]: 403,
  [TradingErrorCode.ACCOUNT_FORBIDDEN]: 403,
  [TradingErrorCode.ACCOUNT_HALTED]: 403,
  [TradingErrorCode.LOOPBACK_ONLY]: 403,
  [TradingErrorCode.CROSS_ORIGIN]: 403,
  [TradingErrorCode.REQUEST_TIMEOUT]: 408,
  [TradingErrorCode.HEADERS_TOO_LARGE]: 431,
  [TradingErrorCode.BAD_REQUEST]: 400,
  [TradingErrorCode.URI_TOO_LONG]: 414,
  [TradingErrorCode.EXPECTATION_FAILED]: 417,
  [TradingErrorCode.TOO_MANY_CONNECTIONS]: 503,
  [TradingErrorCode.TOO_MANY_QUERIES]: 429,
  [TradingErrorCode.QUERY_TIMEOUT]: 504,
  [TradingErrorCode.QUERY_REFUSED]: 400,
  [TradingErrorCode.QUERY_UNAVAILABLE]: 503,
  [TradingErrorCode.QUERY_TOO_LARGE]: 422,
  [TradingErrorCode.INGEST_QUEUE_FULL]: 503,
  [TradingErrorCode.RISK_UNAVAILABLE]: 503,
  [TradingErrorCode.OWNER_UNAVAILABLE]: 503,
};

export function httpStatusOf(code: string): number {
  return (HTTP_STATUS as Record<string, number>)[code] ?? 500;
}
