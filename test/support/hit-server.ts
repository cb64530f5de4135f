/**
 * A local HTTP server that answers `{}` and counts what it received, for tests that act once a
 * run has sent so many more requests (a worker killed mid-run): `moreHits(n)` resolves once `n`
 * more have arrived. Start it in `before`, close it in `after`.
 */
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';

export interface HitServer {
  server: LocalServer;
  /** Resolves once the server has received `n` more requests. */
  moreHits(n: number): Promise<void>;
}

export async function startHitServer(): Promise<HitServer> {
  let hits = 0;
  let onHits: { at: number; resolve: () => void } | null = null;
  const server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      if (onHits !== null && hits >= onHits.at) {
        onHits.resolve();
        onHits = null;
      }
      res.end('{}');
    });
  });
  return {
    server,
    moreHits: (n) =>
      new Promise<void>((resolve) => {
        onHits = { at: hits + n, resolve };
      }),
  };
}
