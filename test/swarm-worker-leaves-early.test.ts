/**
 * A worker that dies while the master still waits for --expect-workers was in no test: the
 * master says so (not "the test goes on with 0 worker(s)") and still starts the test once
 * enough workers are connected. Master and workers are OS processes; the master's port is
 * the OS's choice (--master-bind-port 0).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-counted-users.ts', import.meta.url),
);
let server: LocalServer;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
});
afterEach(stopAll);
after(() => server.close());

describe('tickstorm swarm --master: a worker gone before the test', () => {
  test('is reported as gone before any test; the test starts with the workers that came', async () => {
    const m = start([
      'swarm',
      '-f',
      USERS,
      'Counted',
      '--master',
      '--headless',
      '--only-summary',
      '--master-bind-port',
      '0',
      '--expect-workers',
      '2',
      '-u',
      '2',
      '-r',
      '100',
      '-t',
      '1s',
      '-H',
      server.url,
    ]);
    const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
    const early = start(['swarm', '-f', USERS, '--worker', '--master-port', port]);
    const [, id] = await m.waitFor(/Worker (\S+) connected \(1 of 2 expected\)/);
    early.child.kill('SIGKILL');
    const [line] = await m.waitFor(new RegExp(`Worker ${id} is missing \\(.*\\n`));
    assert.match(
      line,
      /is missing \([^)]+\); before any test ran there; 0 of 2 expected worker\(s\) connected/, // the OS says why: connection closed, read ECONNRESET
    );
    assert.doesNotMatch(line, /the test goes on/);
    const late = [1, 2].map(() => start(['swarm', '-f', USERS, '--worker', '--master-port', port]));
    const [mx, ...wx] = await Promise.all([m.exited, ...late.map((w) => w.exited)]);
    assert.equal(mx.code, 0, m.stdout() + m.stderr());
    for (const x of wx) assert.equal(x.code, 0);
    assert.match(m.stdout(), /Starting the test on 2 worker\(s\)/);
  });
});
