/**
 * What the distributed-run tests share, with its hooks registered in the calling test file: a
 * temp directory, a local HTTP server answering `{}` to every request (started in `before`),
 * and the tickstorm children the file starts (`start`), killed after each test; the server and
 * the directory go in `after`. Read `dir` and `server` inside tests or hooks, not at load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './child.ts';

export interface RunFixture extends ReturnType<typeof trackedTickstorm> {
  readonly dir: string;
  readonly server: LocalServer;
}

export function runFixture(prefix: string): RunFixture {
  let dir = '';
  let server: LocalServer | undefined;
  const tracked = trackedTickstorm();
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    server = await startServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
  });
  afterEach(tracked.stopAll);
  after(async () => {
    await server?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  return {
    ...tracked,
    get dir() {
      return dir;
    },
    get server() {
      if (server === undefined) throw new Error('runFixture: the server starts in before()');
      return server;
    },
  };
}
