/**
 * The agent workload's environment variables, parsed in one place (`tickstorm serve`
 * calls this; a bad value is a startup error naming the variable):
 *
 *   ABC_MAX_CONCURRENT_REQUESTS  positive integer: orders in flight at the execution engine AND
 *                                agent-endpoint requests in flight on the api; beyond it 503 +
 *                                Retry-After (TRD_ERR_OVERLOADED).
 *   ABC_MEMORY_LIMIT             bytes (`2GB`, `512MB`, `1.5G`, `65536`; K/M/G/T are binary
 *                                multiples, KiB/MiB/GiB accepted): the api sheds load above 90% of it.
 *   ABC_PERFORMANCE_MODE         true/false/1/0 (also yes/no/on/off): analysis caching per bar and a
 *                                cached /health store probe (docs/agent-endpoints.md).
 *
 * Unset or empty means "not configured".
 */
import { TradingError, TradingErrorCode } from '../errors.ts';

export interface PerformanceEnv {
  maxConcurrentRequests?: number;
  memoryLimitBytes?: number;
  performanceMode: boolean;
}

/** Below this a limit would shed every request from the start (the process alone is larger). */
export const MIN_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

function bad(name: string, expected: string, raw: string): TradingError {
  return new TradingError(
    TradingErrorCode.INVALID_CONFIG,
    `${name} must be ${expected}, got ${JSON.stringify(raw)}`,
    name,
  );
}

/** `2GB` -> 2147483648; throws INVALID_CONFIG naming `name` for anything else. */
export function parseByteSize(raw: string, name = 'ABC_MEMORY_LIMIT'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m === null ? undefined : UNITS[m[2].toLowerCase()];
  if (m === null || unit === undefined) {
    throw bad(name, 'a size such as 2GB, 512MB or a number of bytes', raw);
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes < MIN_MEMORY_LIMIT_BYTES) {
    throw bad(name, `a size of at least 64MB`, raw);
  }
  return bytes;
}

export function parseBoolean(raw: string, name: string): boolean {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === 'on') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  throw bad(name, 'true or false (or 1/0)', raw);
}

export function parsePositiveInt(raw: string, name: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < 1) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `${name} must be a positive integer, got ${raw}`,
      name,
    );
  }
  return n;
}

/** Every problem is reported at once (one line each) in a single INVALID_CONFIG error. */
export function parsePerformanceEnv(env: NodeJS.ProcessEnv): PerformanceEnv {
  const problems: string[] = [];
  const read = <T>(name: string, parse: (raw: string, name: string) => T): T | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    try {
      return parse(raw, name);
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const out: PerformanceEnv = {
    maxConcurrentRequests: read('ABC_MAX_CONCURRENT_REQUESTS', parsePositiveInt),
    memoryLimitBytes: read('ABC_MEMORY_LIMIT', parseByteSize),
    performanceMode: read('ABC_PERFORMANCE_MODE', parseBoolean) ?? false,
  };
  if (problems.length > 0) throw new TradingError(TradingErrorCode.INVALID_CONFIG, problems.join('; '));
  return out;
}
