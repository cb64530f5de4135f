/** Local node:http targets for the generator tests (port 0, closed in teardown). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalServer {
  url: string;
  port: number;
  server: http.Server;
  /** Requests that reached the handler. */
  hits(): number;
  close(): Promise<void>;
}

export async function startServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void = (_q, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  },
): Promise<LocalServer> {
  let n = 0;
  const server = http.createServer((req, res) => handler(req, res, n++));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    hits: () => n,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * A target that, when request number `at` arrives, stops answering for `stallMs`: every
 * request arriving until then is held and all are answered together when the stall ends
 * (a GC pause, a lock, a failover). Before and after, it answers at once.
 */
export async function startStallingServer(
  at: number,
  stallMs: number,
): Promise<LocalServer & { stalled(): number }> {
  let until = 0;
  let held: http.ServerResponse[] = [];
  let stalled = 0;
  const answer = (res: http.ServerResponse) => {
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok');
  };
  const s = await startServer((_req, res, n) => {
    if (n === at) {
      until = performance.now() + stallMs;
      setTimeout(() => {
        // The stall ends here, not at `until`: a timer can fire up to a millisecond before
        // performance.now() reaches it (libuv's clock is whole ms), and a request held in that
        // gap was never answered (a client timeout, 10 s; 14 'stalled' from 10 closed-loop VUs).
        until = 0;
        const all = held;
        held = [];
        for (const r of all) answer(r);
      }, stallMs);
    }
    if (performance.now() < until) {
      stalled++;
      held.push(res);
    } else answer(res);
  });
  return { ...s, stalled: () => stalled };
}

/**
 * A target that counts requests per path (query stripped) and answers `{}` with 200, or 500
 * for `/fail`; `seen(path, n)` resolves once `n` requests for `path` arrived (the swarm tests
 * wait on it instead of sleeping).
 */
export async function startPathCounter(): Promise<
  LocalServer & { paths: Map<string, number>; seen(path: string, n: number): Promise<void> }
> {
  const hits = new Map<string, number>();
  let waiter: { path: string; n: number; resolve: () => void } | null = null;
  const s = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (waiter !== null && path === waiter.path && hits.get(path)! >= waiter.n) {
      const w = waiter;
      waiter = null;
      w.resolve();
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(path === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  return {
    ...s,
    paths: hits,
    seen(path, n) {
      if ((hits.get(path) ?? 0) >= n) return Promise.resolve();
      return new Promise((resolve) => {
        waiter = { path, n, resolve };
      });
    },
  };
}
