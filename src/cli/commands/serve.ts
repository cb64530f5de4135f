/**
 * `tickstorm serve [service...]`: all four services in one process (the default), or some
 * of them, with the process titles of the service contract (@tickstorm/protocol). With
 * `--bus nats://…` the process talks to the services in other processes over NATS.
 * SIGINT, SIGTERM and SIGHUP (a closed terminal) stop gracefully.
 */
import { readFileSync } from 'node:fs';
import { portEnvName, portFlagName } from '@tickstorm/protocol';
import {
  ALL_SERVICES,
  checkBindPolicy,
  createLogger,
  DURABILITIES,
  type Durability,
  isLogLevel,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  loadKeysFile,
  PROCESS_TITLES,
  parsePerformanceEnv,
  resolveServiceConfig,
  SERVICE_NAMES,
  type ServiceConfigInput,
  type ServiceName,
  TradingError,
  TradingErrorCode,
  TradingSystem,
} from '@tickstorm/trading';
import { checkMetricsStoreTarget, type PgStateChange } from '@tickstorm/trading/metrics-store';
import { outliveHangUp } from './hangup.ts';

export interface ServeOptions {
  host?: string;
  dataDir?: string;
  config?: string;
  marketDataPort?: string;
  executionEnginePort?: string;
  riskManagerPort?: string;
  apiPort?: string;
  shards?: number;
  inputLog?: boolean;
  /** Refuse order prices off the tick grid (PRT_ERR_PRICE_OFF_TICK) instead of rounding them. */
  strictPrices?: boolean;
  /** Structured log level (stderr): trace, debug, info (default), warn, error, fatal, silent. */
  logLevel?: string;
  /** A DuckDB path or a postgres:// URL (env TICKSTORM_METRICS_STORE). */
  metricsStore?: string;
  /** Keys file (env TICKSTORM_KEYS_FILE): signed requests required (docs/security.md). */
  keys?: string;
  /** No keys, every peer served (otherwise a non-loopback --host without keys is refused). */
  insecureNoAuth?: boolean;
  durability?: string;
  fresh?: boolean;
  snapshotInterval?: number;
  retainSnapshots?: number;
  /** nats://HOST:PORT (env TICKSTORM_BUS): the services of this process talk to the others over NATS. */
  bus?: string;
  /** Symbols this process's execution engine owns (comma-separated). */
  symbols?: string;
  /** market-data: ms a tick timestamp may be ahead of the clock (env TICKSTORM_MAX_TICK_AHEAD_MS). */
  maxTickAhead?: number;
}

/** --durability, else TICKSTORM_DURABILITY (empty: unset), else fsync; anything else stops the start. */
export function resolveDurability(flag: string | undefined, env: NodeJS.ProcessEnv): Durability {
  const v = flag ?? nonEmpty(env.TICKSTORM_DURABILITY) ?? 'fsync';
  if (!DURABILITIES.includes(v as Durability)) {
    const from = flag === undefined ? 'TICKSTORM_DURABILITY' : '--durability';
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `${from} must be fsync or write, got ${JSON.stringify(v)}`,
      'durability',
    );
  }
  return v as Durability;
}

/** --max-tick-ahead, else TICKSTORM_MAX_TICK_AHEAD_MS, else the service default (10 s). */
export function resolveMaxTickAhead(flag: number | undefined, env: NodeJS.ProcessEnv): number | undefined {
  if (flag !== undefined) return flag;
  const raw = nonEmpty(env.TICKSTORM_MAX_TICK_AHEAD_MS);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `TICKSTORM_MAX_TICK_AHEAD_MS must be an integer >= 0 (ms; 0 = not checked), got ${JSON.stringify(raw)}`,
      'maxTickAheadMs',
    );
  }
  return n;
}

function readConfigFile(path: string | undefined): ServiceConfigInput & Record<string, unknown> {
  if (path === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TradingError(TradingErrorCode.INVALID_CONFIG, `--config ${path}: ${(err as Error).message}`);
  }
  // A misspelt key ("apiPort", ports."exec-engine") would otherwise be ignored without a word.
  const bad = (why: string) => new TradingError(TradingErrorCode.INVALID_CONFIG, `--config ${path}: ${why}`);
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(parsed)) throw bad('expected a JSON object with host, dataDir and ports');
  const unknown = Object.keys(parsed).filter((k) => !['host', 'dataDir', 'ports'].includes(k));
  if (unknown.length > 0) throw bad(`unknown key(s) ${unknown.join(', ')}: expected host, dataDir, ports`);
  if (parsed.ports !== undefined) {
    if (!isObject(parsed.ports)) throw bad(`ports must be an object with keys ${SERVICE_NAMES.join(', ')}`);
    const other = Object.keys(parsed.ports).filter((k) => !SERVICE_NAMES.includes(k as ServiceName));
    if (other.length > 0)
      throw bad(`unknown service(s) in ports: ${other.join(', ')}: expected ${SERVICE_NAMES.join(', ')}`);
  }
  return parsed as ServiceConfigInput & Record<string, unknown>;
}

/** What the last start said about auth (printed by `serve`). */
let authMode = '';

export async function startSystemFromOptions(
  serviceArgs: readonly string[],
  opts: ServeOptions,
  log?: Logger,
  onLeaseLost?: (err: Error) => void,
): Promise<TradingSystem> {
  const unknown = serviceArgs.filter((s) => !SERVICE_NAMES.includes(s as ServiceName));
  if (unknown.length > 0) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `unknown service ${unknown.map((s) => JSON.stringify(s)).join(', ')}: expected one or more of ${SERVICE_NAMES.join(', ')}`,
    );
  }
  const bus = opts.bus ?? nonEmpty(process.env.TICKSTORM_BUS);
  const symbols = parseSymbols(opts.symbols ?? nonEmpty(process.env.TICKSTORM_SYMBOLS));
  if (serviceArgs.length > 0 && serviceArgs.length < SERVICE_NAMES.length && bus === undefined) {
    // Without a bus the others are unreachable: say so rather than start a system that half works.
    console.error(
      `serve: ${serviceArgs.join(' ')} alone, without --bus (TICKSTORM_BUS): it cannot reach services in other processes (docs/deployment.md)`,
    );
  }
  if (symbols !== undefined && serviceArgs.length > 0 && !serviceArgs.includes('execution-engine')) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      '--symbols partitions the execution engine: serve execution-engine with it',
      'symbols',
    );
  }
  // The agent workload's ABC_* variables (bad values stop the start with the variable named).
  const perf = parsePerformanceEnv(process.env);
  const durability = resolveDurability(opts.durability, process.env);
  const maxTickAheadMs = resolveMaxTickAhead(opts.maxTickAhead, process.env);
  const file = readConfigFile(opts.config);
  const config = resolveServiceConfig(
    {
      host: opts.host,
      dataDir: opts.dataDir,
      ports: {
        'market-data': opts.marketDataPort,
        'execution-engine': opts.executionEnginePort,
        'risk-manager': opts.riskManagerPort,
        api: opts.apiPort,
      },
    },
    process.env,
    file,
  );
  const keysFile = opts.keys ?? (process.env.TICKSTORM_KEYS_FILE || undefined);
  const keys = keysFile === undefined ? undefined : loadKeysFile(keysFile);
  const insecureNoAuth = opts.insecureNoAuth === true;
  authMode = checkBindPolicy(config.host, keys !== undefined, insecureNoAuth);
  const services = serviceArgs.length === 0 ? ALL_SERVICES : [...new Set(serviceArgs as ServiceName[])];
  process.title =
    serviceArgs.length === 0
      ? 'tickstorm market-data execution-engine risk-manager'
      : services.map((s) => PROCESS_TITLES[s]).join(' ');
  const metricsStore = opts.metricsStore ?? nonEmpty(process.env.TICKSTORM_METRICS_STORE);
  // also where this process opens no store (market data forwarding its rows to the api)
  if (metricsStore !== undefined) checkMetricsStoreTarget(metricsStore);
  try {
    return await TradingSystem.start({
      config,
      metricsPath: metricsStore,
      services,
      bus,
      symbols,
      onLeaseLost,
      onWarning: log === undefined ? undefined : (m: string) => log.warn(m),
      shards: opts.shards,
      inputLog: opts.inputLog,
      offTickPrices: opts.strictPrices === true ? 'reject' : undefined,
      maxTickAheadMs,
      durability,
      fresh: opts.fresh === true,
      snapshotIntervalMs: opts.snapshotInterval,
      retainSnapshots: opts.retainSnapshots,
      maxInFlight: perf.maxConcurrentRequests,
      apiMaxInFlight: perf.maxConcurrentRequests,
      memoryLimitBytes: perf.memoryLimitBytes,
      performanceMode: perf.performanceMode,
      security: { keys, insecureNoAuth },
      loadShed: {},
      metricsStore: {
        postgres: {
          // PostgreSQL down at start is an outage like any other: serve starts, rows are buffered
          // and retried; a server that answers and refuses still fails the start
          unreachableAtOpen: 'retry',
          ...(log === undefined
            ? {}
            : {
                onState: (c: PgStateChange) => logStoreState(log, c),
                onWarning: (m: string) => log.warn(m),
              }),
        },
      },
    });
  } catch (err) {
    throw portInUse(err, services, config.ports) ?? err;
  }
}

/**
 * A listen that failed with EADDRINUSE (another `tickstorm serve`, or anything else on the
 * port), as an error naming the service and the flag that moves it; undefined for others.
 */
export function portInUse(
  err: unknown,
  services: readonly ServiceName[],
  ports: Readonly<Record<ServiceName, number>>,
): Error | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code !== 'EADDRINUSE') return undefined;
  const on = services.filter((s) => ports[s] !== 0 && ports[s] === e.port);
  if (on.length === 0) return undefined;
  const flags = on.map((s) => `${portFlagName(s)} <port> (or ${portEnvName(s)})`).join(' or ');
  const where = e.address === undefined ? '' : ` on ${e.address}`;
  const out = new Error(
    `serve: port ${e.port} (${on.join(', ')}) is in use${where}: pass ${flags}, or 0 for a free port`,
    { cause: err },
  );
  (out as NodeJS.ErrnoException).code = 'EADDRINUSE';
  return out;
}

/** --symbols A,B,…: upper-cased, de-duplicated; validated against the instruments at start. */
function parseSymbols(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = [
    ...new Set(
      v
        .split(',')
        .map((x) => x.trim().toUpperCase())
        .filter((x) => x !== ''),
    ),
  ];
  if (list.length === 0) {
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      '--symbols needs at least one symbol (A,B,…)',
      'symbols',
    );
  }
  return list;
}

/** A PostgreSQL store that stops or resumes writing: one warn line when it starts retrying, one info line when it is back, an error line when rows are refused for good. */
function logStoreState(log: Logger, c: PgStateChange): void {
  if (c.state === 'failed') {
    log.error(
      { store: c.url, error: c.error, failedRows: c.failedRows },
      'metrics rows refused by PostgreSQL (not retried; told at most every 10 s)',
    );
  } else if (c.state === 'retrying') {
    log.warn(
      { store: c.url, error: c.error, bufferedRows: c.bufferedRows },
      'metrics store unreachable: rows kept and retried until it is back',
    );
  } else {
    log.info(
      {
        store: c.url,
        downMs: c.downMs,
        retries: c.retries,
        bufferedRows: c.bufferedRows,
        lastError: c.error,
      },
      'metrics store reachable again: writing resumed',
    );
  }
}

/** --log-level, else TICKSTORM_LOG_LEVEL (empty: unset), else info; the message names where a bad one came from. */
export function resolveLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv): LogLevel {
  const level = flag ?? nonEmpty(env.TICKSTORM_LOG_LEVEL) ?? 'info';
  if (!isLogLevel(level)) {
    const from = flag === undefined ? 'TICKSTORM_LOG_LEVEL' : '--log-level';
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `${from} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`,
    );
  }
  return level;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

export async function serveCommand(serviceArgs: readonly string[], opts: ServeOptions): Promise<void> {
  const level = resolveLogLevel(opts.logLevel, process.env);
  const log = createLogger({
    level,
    base: { service: serviceArgs.length === 0 ? 'all' : serviceArgs.join(',') },
  });
  let sys: TradingSystem;
  // its role lease taken over while it was stalled or cut off (cluster/role-lease.ts): it stops, exit 1
  let stop: ((why: string, code?: number) => void) | undefined;
  const leaseLost = (err: Error) => {
    const code = (err as { code?: string }).code;
    log.error({ code, reason: err.message }, 'role lease lost');
    console.error(`tickstorm: ${code}: ${err.message}`);
    if (stop !== undefined) stop('role lease lost', 1);
    else process.exit(1);
  };
  try {
    sys = await startSystemFromOptions(serviceArgs, opts, log, leaseLost);
  } catch (err) {
    // A coded refusal (configuration, keys, a port in use) is a message for the user, not a
    // crash: logged without a stack trace. Anything else keeps its stack.
    const e = err as { code?: unknown; message?: string };
    if (typeof e.code === 'string') log.error({ code: e.code, reason: e.message }, 'start failed');
    else log.error({ err }, 'start failed');
    throw err;
  }
  log.info({ urls: Object.fromEntries(Object.entries(sys.handles).map(([n, h]) => [n, h.url])) }, 'started');
  for (const [name, h] of Object.entries(sys.handles)) {
    const extra =
      name === 'market-data' ? ' (WebSocket /stream)' : name === 'api' ? ' (WebSocket /ws/metrics)' : '';
    console.log(`${name.padEnd(17)} ${h.url}${extra}`);
  }
  if (sys.store !== null) console.log(`metrics store     ${sys.store.kind} ${sys.store.path}`);
  console.log(authMode);
  // a closed terminal's output errors are dropped (./hangup.ts)
  outliveHangUp();
  let stopping = false;
  stop = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping (answering requests in flight, flushing logs and metrics)...`);
    const t0 = performance.now();
    log.info({ signal }, 'stopping');
    sys.close().then(
      () => {
        // rows a store could not write before it closed (PostgreSQL down at the stop): said, not lost silently
        const dropped = sys.store?.writeStats().droppedRows ?? 0;
        if (dropped > 0) {
          log.warn(
            { store: sys.store?.path, droppedRows: dropped, lastError: sys.store?.writeStats().lastError },
            'metrics rows dropped in this run (buffer full, or still unwritten at the stop)',
          );
        }
        log.info({ ms: Math.round(performance.now() - t0) }, 'stopped');
        console.log('stopped cleanly');
        process.exit(code);
      },
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        console.error(`stop failed: ${(err as Error).stack ?? err}`);
        process.exit(1);
      },
    );
  };
  // Handlers first: a caller may signal as soon as it reads the pid line.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // A closed terminal (an ssh session or a tmux pane that ends): node's default for SIGHUP is to
  // die at once, without the flush, the snapshot or the data directory's lock released.
  // tickstorm uses SIGHUP for nothing else (no reload).
  process.on('SIGHUP', () => stop('SIGHUP'));
  // A bug must not leave a half-alive process: write what the journals buffer, say why, exit.
  const fatal = (kind: string) => (err: unknown) => {
    log.fatal({ err }, kind);
    console.error(`${kind}: ${(err as Error)?.stack ?? String(err)}`);
    try {
      sys.core?.flushSync();
    } catch {
      // nothing more can be done
    }
    console.error('exiting after a fatal error (the journal holds every acknowledged command)');
    process.exit(70);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));
  console.log(`pid ${process.pid}; Ctrl-C (SIGINT), SIGTERM or SIGHUP stops gracefully`);
}
