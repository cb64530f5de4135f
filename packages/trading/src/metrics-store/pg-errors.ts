/**
 * PostgreSQL failures as the metrics store sorts them: connection-level ones are retried (the
 * server may come back) and answered 503 TRD_ERR_SERVICE_UNAVAILABLE meanwhile; SQL errors
 * (a refused role, a missing database, an altered table) are not.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';

/** Connection-level failures worth retrying (the server may come back); SQL errors are not. */
export function retryable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (/^(08|53|57P0[1-3]|58)/.test(code)) return true; // connection, resources, shutdown, system I/O
  if (/^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ...
  const msg = typeof e?.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(
    msg,
  );
}

/**
 * A COPY that failed without committing and may succeed when sent again: `retryable`, or
 * canceled (57014: `pg_cancel_backend` from any session of the same role, e.g. a hostile
 * `/api/metrics/query`, or a server-side statement_timeout), past its lock timeout (55P03: a
 * lock held by another session), or waiting for an earlier COPY's
 * transaction to end (`retryCopy`, pg-copy-once.ts).
 */
export function copyRetryable(err: unknown): boolean {
  const e = err as { code?: unknown; retryCopy?: unknown };
  return retryable(err) || e?.code === '57014' || e?.code === '55P03' || e?.retryCopy === true;
}

/** A PostgreSQL failure as a coded TradingError: unreachable = 503, else 500. */
export function pgError(what: string, err: unknown): TradingError {
  if (err instanceof TradingError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = retryable(err) ? TradingErrorCode.SERVICE_UNAVAILABLE : TradingErrorCode.METRICS_STORE;
  return new TradingError(code, `${what}: ${msg}`);
}

export function queryError(err: unknown, timeoutMs: number): TradingError {
  if (err instanceof TradingError) return err;
  const code = (err as { code?: string })?.code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code === '57014') {
    return new TradingError(
      TradingErrorCode.QUERY_TIMEOUT,
      `query exceeded the ${timeoutMs} ms statement timeout`,
    );
  }
  if (retryable(err)) return pgError('query failed', err);
  return new TradingError(TradingErrorCode.QUERY_REFUSED, `query failed: ${msg}`);
}
