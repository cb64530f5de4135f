/**
 * The servers the tests start (PostgreSQL, nats-server, `tickstorm serve`) end with the test
 * process even when it is killed (a CI timeout, a Ctrl-C on the runner) and its teardown never
 * runs: support/child-process.ts's reapIfTestDies. A child test process starts one of each,
 * prints their pids, and SIGKILLs itself; every one must then be gone, and PostgreSQL's
 * directory removed. Without the reaper they run on, orphaned.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { alive } from './support/child-process.ts';
import { waitFor } from './support/postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-reap-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const support = new URL('./support/', import.meta.url).pathname;

test('PostgreSQL, nats-server and serve started by a test end when the test process is SIGKILLed', async () => {
  const script = join(dir, 'killed-test.mts');
  writeFileSync(
    script,
    `import { startPgServer } from '${support}postgres.ts';
import { startNatsServer } from '${support}nats-server.ts';
import { startServe, ZERO_PORT_FLAGS } from '${support}child-process.ts';
const pg = await startPgServer({ fsync: false });
const nats = await startNatsServer();
const served = await startServe([...ZERO_PORT_FLAGS, '--data-dir', '${join(dir, 'data')}']);
console.log(JSON.stringify({ pg: pg.pid, pgDir: pg.dir, nats: nats.pid, serve: served.child.pid }));
process.kill(process.pid, 'SIGKILL');
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const signal = await new Promise<NodeJS.Signals | null>((r) => child.once('close', (_c, s) => r(s)));
  assert.equal(signal, 'SIGKILL', `the child test process did not kill itself:\n${out}\n${err}`);
  const pids = JSON.parse(out.trim().split('\n').at(-1)!) as {
    pg: number;
    pgDir: string;
    nats: number;
    serve: number;
  };
  for (const pid of [pids.pg, pids.nats, pids.serve]) assert.ok(pid > 0);
  try {
    await waitFor(
      () => !alive(pids.pg) && !alive(pids.nats) && !alive(pids.serve) && !existsSync(pids.pgDir),
      'the orphaned servers to end and the PostgreSQL directory to go',
      30_000,
      50,
    );
  } finally {
    for (const pid of [pids.pg, pids.nats, pids.serve])
      if (alive(pid))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
    rmSync(pids.pgDir, { recursive: true, force: true });
  }
});
