/**
 * Where a run sends its load. `--target HOST` gives every service at the default ports of the
 * service contract (market-data 5001, execution-engine 5002, risk-manager 5003, api 8000);
 * `--market-data-url`, `--orders-url`, `--risk-url`, `--api-url` override one service each.
 * The market-data and api flags take either form: an http:// origin (the WebSocket URL is
 * derived: /stream, /ws/metrics) or the ws:// URL itself (the HTTP origin is derived).
 */
import { type RunInput, type SuiteTarget, tlsCertHint, type WatchTarget } from '@tickstorm/loadlab';
import { PATHS, DEFAULT_PORTS as PORTS } from '@tickstorm/protocol';
import type { TargetUrls } from './scenario.ts';

const DEFAULT_PORTS = {
  marketData: PORTS['market-data'],
  orders: PORTS['execution-engine'],
  risk: PORTS['risk-manager'],
  api: PORTS.api,
} as const;

export interface TargetInput {
  target?: string;
  marketDataUrl?: string;
  ordersUrl?: string;
  riskUrl?: string;
  apiUrl?: string;
}

const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]+:[0-9A-Fa-f:.]*)$/;

function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

function parse(flag: string, raw: string, kinds: readonly string[], problems: string[]): URL | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    problems.push(`${flag} must be an absolute URL like ${kinds[0]}//127.0.0.1:8000 (got '${raw}')`);
    return undefined;
  }
  if (!kinds.includes(u.protocol)) {
    problems.push(`${flag} must use ${kinds.map((k) => `${k}//`).join(' or ')} (got '${raw}')`);
    return undefined;
  }
  return u;
}

const origin = (u: URL, secure: boolean) => `${secure ? 'https' : 'http'}://${u.host}`;

/** Resolves the six URLs; problems name each bad flag. */
export function buildTargetUrls(input: TargetInput): { urls: TargetUrls; problems: string[] } {
  const problems: string[] = [];
  const host = (input.target ?? '127.0.0.1').trim();
  if (!HOST.test(host))
    problems.push(
      `--target must be a host name or IP address, without scheme or port (got '${input.target}')`,
    );
  const h = hostPart(host);
  const urls: TargetUrls = {
    marketDataWs: `ws://${h}:${DEFAULT_PORTS.marketData}${PATHS.marketData.ingest}`,
    marketDataHttp: `http://${h}:${DEFAULT_PORTS.marketData}`,
    orders: `http://${h}:${DEFAULT_PORTS.orders}`,
    risk: `http://${h}:${DEFAULT_PORTS.risk}`,
    api: `http://${h}:${DEFAULT_PORTS.api}`,
    apiWs: `ws://${h}:${DEFAULT_PORTS.api}${PATHS.api.wsMetrics}`,
  };
  const both = ['http:', 'https:', 'ws:', 'wss:'];
  const md = input.marketDataUrl && parse('--market-data-url', input.marketDataUrl, both, problems);
  if (md) {
    const secure = md.protocol === 'https:' || md.protocol === 'wss:';
    const isWs = md.protocol.startsWith('ws');
    urls.marketDataHttp = origin(md, secure);
    urls.marketDataWs =
      isWs && md.pathname !== '/'
        ? md.href
        : `${secure ? 'wss' : 'ws'}://${md.host}${PATHS.marketData.ingest}`;
  }
  const api = input.apiUrl && parse('--api-url', input.apiUrl, both, problems);
  if (api) {
    const secure = api.protocol === 'https:' || api.protocol === 'wss:';
    const isWs = api.protocol.startsWith('ws');
    urls.api = isWs ? origin(api, secure) : api.href.replace(/\/+$/, '');
    urls.apiWs =
      isWs && api.pathname !== '/'
        ? api.href
        : `${secure ? 'wss' : 'ws'}://${api.host}${PATHS.api.wsMetrics}`;
  }
  const orders = input.ordersUrl && parse('--orders-url', input.ordersUrl, ['http:', 'https:'], problems);
  if (orders) urls.orders = orders.href.replace(/\/+$/, '');
  const risk = input.riskUrl && parse('--risk-url', input.riskUrl, ['http:', 'https:'], problems);
  if (risk) urls.risk = risk.href.replace(/\/+$/, '');
  return { urls, problems };
}

/** The services each scenario talks to (anything else: all four). */
const NEEDS: Record<string, readonly (keyof TargetUrls)[]> = {
  'market-data-flood': ['marketDataHttp'],
  'order-stress': ['orders'],
  'db-throughput': ['api'],
  'ws-concurrency': ['api', 'marketDataHttp'],
};

const SERVICE_NAMES: Partial<Record<keyof TargetUrls, string>> = {
  marketDataHttp: 'market-data',
  orders: 'execution-engine (orders)',
  risk: 'risk-manager',
  api: 'api',
};

export function neededServices(scenarioIds: readonly string[]): (keyof TargetUrls)[] {
  const all: (keyof TargetUrls)[] = ['marketDataHttp', 'orders', 'risk', 'api'];
  const want = new Set<keyof TargetUrls>();
  for (const id of scenarioIds) for (const k of NEEDS[id] ?? all) want.add(k);
  return all.filter((k) => want.has(k));
}

/**
 * A GET of `/health` on each needed service: any HTTP answer counts as reachable (a system
 * without /health still answers 404). Returns one line per service that did not answer.
 */
export async function unreachable(
  urls: TargetUrls,
  scenarioIds: readonly string[],
  timeoutMs = 3000,
): Promise<string[]> {
  const checks = neededServices(scenarioIds).map(async (k) => {
    const base = urls[k];
    try {
      const res = await fetch(`${base}${PATHS.health}`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      return null;
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (tlsCertHint(e.cause?.code) ?? e.cause?.code ?? e.cause?.message ?? e.message);
      return `${SERVICE_NAMES[k]} at ${base}: ${why}`;
    }
  });
  return (await Promise.all(checks)).filter((x): x is string => x !== null);
}

/** The run's target flags, as `tickstorm run` offers them. */
export const TARGET_FLAGS = [
  { flag: 'target', help: 'host of every service at the default ports', default: '127.0.0.1' },
  { flag: 'market-data-url', help: 'market-data: http://host:port, or ws://host:port/stream' },
  { flag: 'orders-url', help: 'execution-engine: http://host:port' },
  { flag: 'risk-url', help: 'risk-manager: http://host:port' },
  { flag: 'api-url', help: 'api: http://host:port (ws://host:port/ws/metrics derived)' },
] as const;

/** The services as a suite target: flags, URLs, reachability, and the api's system metrics as the resource watch. */
export const TICKSTORM_TARGET: SuiteTarget<TargetUrls> = {
  flags: TARGET_FLAGS,
  resolve(v) {
    const input: TargetInput = {
      target: v.target,
      marketDataUrl: v['market-data-url'],
      ordersUrl: v['orders-url'],
      riskUrl: v['risk-url'],
      apiUrl: v['api-url'],
    };
    const { urls, problems } = buildTargetUrls(input);
    const given = [input.marketDataUrl, input.ordersUrl, input.riskUrl, input.apiUrl].some(
      (u) => u !== undefined,
    );
    const label = given
      ? `${urls.marketDataWs} ${urls.orders} ${urls.risk} ${urls.api}`
      : (input.target ?? '127.0.0.1');
    return { urls, label, problems };
  },
  // db-throughput's library mode writes in-process and needs no service.
  unreachable: (urls, runs) =>
    unreachable(
      urls,
      runs.filter((r) => !(r.id === 'db-throughput' && r.params.mode === 'library')).map((r) => r.id),
    ),
  hint: 'Is the system running? `tickstorm serve` starts it; --target HOST or --market-data-url/--orders-url/--risk-url/--api-url point elsewhere.',
  defaultWatch: (urls): WatchTarget => ({
    kind: 'api',
    url: `${urls.api}${PATHS.api.system}`,
    label: 'target',
  }),
};

/** A run's input with the target given field by field, as a program (or `tickstorm start`) has it. */
export type TickstormRunInput = Omit<RunInput, 'targets' | 'prelude'> &
  TargetInput & {
    /** Run the critical-path micro-benchmarks first (default: on for `all`). */
    bench?: boolean;
  };

/** The lab's RunInput for TICKSTORM_TARGET's flags. */
export function tickstormRunInput(i: TickstormRunInput): RunInput {
  const { target, marketDataUrl, ordersUrl, riskUrl, apiUrl, bench, ...rest } = i;
  return {
    ...rest,
    targets: {
      target,
      'market-data-url': marketDataUrl,
      'orders-url': ordersUrl,
      'risk-url': riskUrl,
      'api-url': apiUrl,
    },
    prelude: bench,
  };
}
