/**
 * The routes of the four services as fastify's route tree lists them, read when each service
 * starts (a `beforeListenHooks` entry, so it sees every route the service mounted): a test
 * that walks "every route" checks a route added later too.
 */
import type { FastifyInstance } from 'fastify';
import { beforeListenHooks } from '../../src/http/http-app.ts';

export type Service = 'market-data' | 'execution-engine' | 'risk-manager' | 'api';

/** `[method, path]` of every route in fastify's printRoutes() tree. */
export function routesOf(tree: string): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+) \(([A-Z, ]+)\)$/.exec(
      line.replace(/ {4}|│ {3}/g, (s) => (s === '    ' ? ' ' : '│')),
    );
    if (m === null) continue;
    const depth = m[1]!.length;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of m[3]!.split(', ')) out.push([method, stack.join('')]);
  }
  return out;
}

/**
 * Starts collecting the routes of every service that starts from now on into the map it
 * returns; `stop()` (in teardown) removes the hook.
 */
export function collectRoutes(): { routes: Map<Service, [string, string][]>; stop(): void } {
  const routes = new Map<Service, [string, string][]>();
  const collect = (name: string, app: FastifyInstance) => {
    app.addHook('onReady', async () => {
      routes.set(name as Service, routesOf(app.printRoutes({ commonPrefix: false })));
    });
  };
  beforeListenHooks.push(collect);
  return {
    routes,
    stop() {
      const i = beforeListenHooks.indexOf(collect);
      if (i >= 0) beforeListenHooks.splice(i, 1);
    },
  };
}

/** A path of `pattern` with its parameters filled in (`:id` 1, `:symbol` AAPL, ...). */
export function pathOf(pattern: string, params: Record<string, string> = {}): string {
  const fill: Record<string, string> = { ':id': '1', ':symbol': 'AAPL', ':account': 'default', ...params };
  return pattern.replace(/:[a-z]+/g, (p) => fill[p] ?? 'x');
}
