/**
 * `run FILE` and `swarm` end when their test does, with its exit code, even when the script or
 * user file left a timer or a server open at its top level (k6 and Locust do). Before, the
 * process printed its verdict and then never exited: a CI job hung.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';

let srv: LocalServer;
let dir: string;
before(async () => {
  srv = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-command-exit-'));
});
// a child that hangs (the defect) is killed when the test times out
const { start, stopAll } = trackedTickstorm();
afterEach(stopAll);
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

// a hang fails the test at its timeout instead of holding the suite
test('a handle left open at the top level does not keep the command alive', { timeout: 20_000 }, async () => {
  const base = srv.url.replace(/\/$/, '');
  const failing = file(
    'timer.js',
    `import http from 'k6/http';
setInterval(() => {}, 1000);
export const options = { iterations: 2, thresholds: { http_reqs: ['count>5'] } };
export default async function () { await http.get('${base}/x'); }
`,
  );
  const noDefault = file(
    'server.mjs',
    `import { createServer } from 'node:http';\ncreateServer().listen(0, '127.0.0.1');\nexport const options = {};\n`,
  );
  const users = file(
    'users.ts',
    `import { constant, HttpUser, tasks } from '@tickstorm/loadlab/swarm';
setInterval(() => {}, 1000);
export class U extends HttpUser {
  static tasks = tasks<U>({ t: 1 });
  waitTime = constant(0.2);
  async t() { await this.client.get('/x'); }
}
`,
  );
  const swarmArgs = [
    '-f',
    users,
    '--headless',
    '-u',
    '1',
    '-r',
    '1',
    '-t',
    '1s',
    '-H',
    srv.url,
    '--only-summary',
  ];
  const [a, b, c] = [start(['run', failing]), start(['run', noDefault]), start(['swarm', ...swarmArgs])];
  const [ea, eb, ec] = await Promise.all([a.exited, b.exited, c.exited]);
  assert.equal(ea.code, 99, a.stderr());
  assert.match(a.stdout(), /FAILED: 1 threshold/);
  assert.equal(eb.code, 107, b.stderr());
  assert.match(b.stderr(), /no default function/);
  assert.equal(ec.code, 0, c.stderr());
  assert.match(c.stdout(), /PASSED/);
});
