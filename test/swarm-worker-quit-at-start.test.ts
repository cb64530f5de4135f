/**
 * Locust's runner.quit() in a --worker's test_start listener: that worker quits the test, as
 * Locust's does: it tells the master (bye), which reports it missing and gives its users to the
 * other workers, and exits 0; with no other worker the test ends at once (every worker is
 * missing: exit 1). The master is still starting its test (its own test_start listener waits
 * until the quitter exited) when the word arrives: before, the worker's stop notice was dropped
 * there and the test ran on to -t with the worker in it. Master and workers are OS processes on an
 * OS-chosen port.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-worker-quit-users.ts', import.meta.url),
);
let server: LocalServer;
let work = 0;
/** Resolved when the quitter is gone (or, as before the fix, started its users): the master's test_start ends. */
let released: Promise<void>;
let release = () => {};
const { start, stopAll } = trackedTickstorm();

function arm(): void {
  released = new Promise((r) => {
    release = r;
  });
}

/** The master's test_start goes on once the quitter exited or started its users. */
function releaseAfter(q: ReturnType<typeof worker>): void {
  void Promise.race([q.exited, q.waitFor(/Test started/).catch(() => undefined)]).then(() => release());
}

before(async () => {
  arm();
  server = await startServer((req, res) => {
    req.resume();
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    };
    if (req.url === '/master-start') void released.then(answer);
    else {
      if (req.url === '/work') work++;
      answer();
    }
  });
});
afterEach(async () => {
  await stopAll();
  release();
  arm();
});
after(() => server.close());

function master(expect: number, runTime: string) {
  return start(
    [
      ...['swarm', '-f', USERS, '--master', '--headless', '--master-bind-port', '0'],
      ...['--expect-workers', String(expect), '-u', '4', '-r', '100', '-t', runTime, '-H', server.url],
    ],
    { TICKSTORM_TEST_ROLE: 'master', TICKSTORM_TEST_GATE: server.url.replace(/\/$/, '') },
  );
}

function worker(port: string, quitter: boolean) {
  return start(
    ['swarm', '-f', USERS, '--worker', '--master-port', port],
    quitter ? { TICKSTORM_TEST_ROLE: 'quitter', TICKSTORM_TEST_GATE: server.url.replace(/\/$/, '') } : {},
  );
}

test('a worker that quits in test_start tells the master, which goes on with the other worker', async () => {
  work = 0;
  const m = master(2, '2s');
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const q = worker(port, true);
  releaseAfter(q);
  const [, id] = await q.waitFor(/as worker (\S+)/);
  await m.waitFor(/connected \(1 of 2 expected\)/);
  const w = worker(port, false);
  const [mx, qx, wx] = await Promise.all([m.exited, q.exited, w.exited]);
  assert.equal(qx.code, 0, q.stdout() + q.stderr());
  assert.match(q.stdout(), /runner\.quit\(\) in test_start: told the master this worker quits; exiting/);
  assert.doesNotMatch(q.stdout(), /Test started/);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(wx.code, 0, w.stdout() + w.stderr());
  const out = m.stdout();
  assert.ok(
    out.includes(
      `Worker ${id} is missing (it quit: runner.quit() in test_start); the test goes on with 1 worker(s)`,
    ),
    out,
  );
  assert.match(out, /Workers: 2 joined \(2 expected\), 1 at the end, 1 missing/);
  assert.doesNotMatch(out, /stopping the test/);
  assert.ok(work > 0, 'the other worker ran the users');
});

test('the only worker quitting in test_start ends the test at once: every worker is missing', async () => {
  const m = master(1, '8s');
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const q = worker(port, true);
  releaseAfter(q);
  const [, id] = await q.waitFor(/as worker (\S+)/);
  const [mx, qx] = await Promise.all([m.exited, q.exited]);
  assert.equal(qx.code, 0, q.stdout() + q.stderr());
  assert.equal(mx.code, 1, m.stdout() + m.stderr());
  assert.ok(
    m
      .stderr()
      .includes(`every worker is missing (the last: worker ${id}: it quit: runner.quit() in test_start)`),
    m.stdout() + m.stderr(),
  );
});
