/**
 * Where GET /api/metrics/query's SQL runs for a DuckDB store: with a shared readable file
 * (the default file store), in a niced child process on that file (query-process.ts), the
 * rows committed so far copied into it before each query; without one (an in-memory store,
 * no file another process can open), on the store's own instance (query-guard.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { QUERY_GUARD_DEFAULTS, QueryGuard, type QueryGuardOptions, type QueryRunner } from './query-guard.ts';
import { QueryProcess } from './query-process.ts';

export interface QueryRunnerSource {
  /** The store's shared file and its copy-now, or null when it has none. */
  sharedFile: { path: string; flush: () => Promise<boolean> } | null;
  /** A new connection on the store's instance (the in-process guard's). */
  connect: () => Promise<DuckDBConnection>;
  limits?: Partial<QueryGuardOptions>;
  /** The child process starts now (default) or at the first query (tests that never query fork nothing). */
  start?: 'with-store' | 'first-query';
}

export async function openQueryRunner(o: QueryRunnerSource): Promise<QueryRunner> {
  const shared = o.sharedFile;
  if (shared === null) return QueryGuard.open(o.connect, o.limits);
  const p = new QueryProcess({
    path: shared.path,
    limits: { ...QUERY_GUARD_DEFAULTS, ...o.limits },
    beforeQuery: shared.flush,
  });
  if (o.start !== 'first-query') p.start();
  return p;
}
