/**
 * Where `tickstorm run` sends its load. `--target HOST` gives every service at the SPEC's
 * default ports (market-data 5001, execution-engine 5002, risk-manager 5003, api 8000);
 * `--market-data-url`, `--orders-url`, `--risk-url`, `--api-url` override one service each.
 * The market-data and api flags take either form: an http:// origin (the WebSocket URL is
 * derived: /stream, /ws/metrics) or the ws:// URL itself (the HTTP origin is derived).
 */
import type { TargetUrls } from '../scenarios/scenario.ts';

export const DEFAULT_PORTS = { marketData: 5001, orders: 5002, risk: 5003, api: 8000 } as const;

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
    marketDataWs: `ws://${h}:${DEFAULT_PORTS.marketData}/stream`,
    marketDataHttp: `http://${h}:${DEFAULT_PORTS.marketData}`,
    orders: `http://${h}:${DEFAULT_PORTS.orders}`,
    risk: `http://${h}:${DEFAULT_PORTS.risk}`,
    api: `http://${h}:${DEFAULT_PORTS.api}`,
    apiWs: `ws://${h}:${DEFAULT_PORTS.api}/ws/metrics`,
  };
  const both = ['http:', 'https:', 'ws:', 'wss:'];
  const md = input.marketDataUrl && parse('--market-data-url', input.marketDataUrl, both, problems);
  if (md) {
    const secure = md.protocol === 'https:' || md.protocol === 'wss:';
    const isWs = md.protocol.startsWith('ws');
    urls.marketDataHttp = origin(md, secure);
    urls.marketDataWs =
      isWs && md.pathname !== '/' ? md.href : `${secure ? 'wss' : 'ws'}://${md.host}/stream`;
  }
  const api = input.apiUrl && parse('--api-url', input.apiUrl, both, problems);
  if (api) {
    const secure = api.protocol === 'https:' || api.protocol === 'wss:';
    const isWs = api.protocol.startsWith('ws');
    urls.api = isWs ? origin(api, secure) : api.href.replace(/\/+$/, '');
    urls.apiWs =
      isWs && api.pathname !== '/' ? api.href : `${secure ? 'wss' : 'ws'}://${api.host}/ws/metrics`;
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
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      await res.body?.cancel();
      return null;
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      const why =
        e.name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
      return `${SERVICE_NAMES[k]} at ${base}: ${why}`;
    }
  });
  return (await Promise.all(checks)).filter((x): x is string => x !== null);
}
