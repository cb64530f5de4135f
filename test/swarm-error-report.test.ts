/**
 * A headless swarm ends with Locust's "Error report": each failure (method, name, error) and
 * how often it happened, as many as the target saw; none when nothing failed. Before, the
 * console showed only the counts of failures, not what they were. Its exit code follows
 * Locust's --exit-code-on-error (default 1): failed requests or exceptions raised by user code
 * fail a test no threshold failed; 0 lets it pass; a failed threshold keeps 99.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { tickstorm as run } from './support/cli.ts';

let srv: LocalServer;
let dir: string;
const hits = new Map<string, number>();

before(async () => {
  srv = await startServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    req.resume();
    req.on('end', () => {
      res.writeHead(path === '/bad' ? 503 : 200, { 'content-type': 'text/plain' });
      res.end('x');
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-swarm-errors-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

function userFile(name: string, tasksBody: string): string {
  const f = join(dir, name);
  writeFileSync(
    f,
    `import { constant, HttpUser, tasks } from '@tickstorm/loadlab/swarm';
export class U extends HttpUser {
  static tasks = tasks<U>({ t: 1 });
  waitTime = constant(0.05);
  async t() { ${tasksBody} }
}
`,
  );
  return f;
}

const swarm = (file: string, ...more: string[]) =>
  run([
    'swarm',
    '-f',
    file,
    '--headless',
    '-u',
    '2',
    '-r',
    '100',
    '-t',
    '1s',
    '-H',
    srv.url,
    '--only-summary',
    ...more,
  ]);

test('the error report lists each failure and its occurrences; none when nothing failed', async () => {
  const bad = await swarm(userFile('bad.ts', "await this.client.get('/ok'); await this.client.get('/bad');"));
  assert.equal(bad.code, 1, bad.stderr);
  const n = hits.get('/bad') ?? 0;
  assert.ok(n > 0);
  const m = /Error report\n# occurrences +Error\n-+ -+\n(\d+) +GET \/bad: HTTP 503\n/.exec(bad.stdout);
  assert.ok(m !== null, bad.stdout);
  // a request of a user stopped at the end is seen by the target, not counted (one per user at most)
  assert.ok(Number(m[1]) <= n && Number(m[1]) >= n - 2, `${m[1]} of ${n}`);
  assert.doesNotMatch(bad.stdout, /GET \/ok: /);

  const good = await swarm(userFile('good.ts', "await this.client.get('/ok');"));
  assert.equal(good.code, 0, good.stderr);
  assert.doesNotMatch(good.stdout, /Error report/);
});

test("failed requests exit 1 by default (Locust's --exit-code-on-error 1); CODE picks another, 0 lets them pass, a failed threshold keeps 99", async () => {
  const bad = userFile('bad-exit.ts', "await this.client.get('/bad');");
  const failing = await swarm(bad);
  assert.equal(failing.code, 1, failing.stdout + failing.stderr);
  assert.match(
    failing.stdout,
    /FAILED: \d+ request\(s\) failed \(exit code 1, Locust's --exit-code-on-error; 0 lets such a test pass\)/,
  );
  const three = await swarm(bad, '--exit-code-on-error', '3');
  assert.equal(three.code, 3, three.stdout + three.stderr);
  assert.match(three.stdout, /FAILED: \d+ request\(s\) failed \(exit code 3, /);
  const optOut = await swarm(bad, '--exit-code-on-error', '0');
  assert.equal(optOut.code, 0, optOut.stdout + optOut.stderr);
  assert.match(
    optOut.stdout,
    /PASSED: no thresholds given; \d+ request\(s\) failed, not gated \(--exit-code-on-error 0/,
  );
  // a failed threshold is still 99, the CI gate's own code
  const gated = await swarm(bad, '--threshold', 'error_rate<1%');
  assert.equal(gated.code, 99, gated.stdout + gated.stderr);
  const good = await swarm(userFile('good-exit.ts', "await this.client.get('/ok');"));
  assert.equal(good.code, 0, good.stdout + good.stderr);
  // a swarm has no scenario targets: the line says what it checked
  assert.match(
    good.stdout,
    /PASSED: no request failed and user code raised no exception \(no thresholds given; exit code 0\)/,
  );
  assert.doesNotMatch(good.stdout, /scenario target/);
  const gatedGood = await swarm(
    userFile('good-gated.ts', "await this.client.get('/ok');"),
    '--threshold',
    'error_rate<1%',
  );
  assert.equal(gatedGood.code, 0, gatedGood.stdout + gatedGood.stderr);
  assert.match(
    gatedGood.stdout,
    /PASSED: every threshold met, no request failed and user code raised no exception \(exit code 0\)/,
  );
  const wrong = await swarm(bad, '--exit-code-on-error', 'one');
  assert.equal(wrong.code, 104);
  assert.match(wrong.stderr, /--exit-code-on-error must be an exit code 0\.\.255, got 'one'/);
});

test('an exception raised by user code, every request answered, exits 1 as in Locust', async () => {
  const raising = await swarm(
    userFile('raises.ts', "await this.client.get('/ok'); throw new Error('bad data');"),
  );
  assert.equal(raising.code, 1, raising.stdout + raising.stderr);
  assert.match(raising.stdout, /FAILED: user code raised \d+ exception\(s\) \(exit code 1, /);
  assert.doesNotMatch(raising.stdout, /request\(s\) failed/);
});
