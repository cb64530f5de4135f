/**
 * The headless start line names the hosts the users send to: a class's `static host` wins over
 * -H for its users, so the line says that host, not -H's default (http://127.0.0.1:8000), which
 * read as if the class's host were ignored. With a load shape it names the shape, which sets
 * the users (it said `-u` users at `-r`/s, which the shape ignores).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { tickstorm as run } from './support/cli.ts';

let srv: Awaited<ReturnType<typeof startPathCounter>>;
let dir: string;
before(async () => {
  srv = await startPathCounter();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-headline-host-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the start line names a class's static host, and -H for a class without one", async () => {
  const origin = srv.url.replace(/\/$/, '');
  const f = join(dir, 'users.js');
  writeFileSync(
    f,
    `import { HttpUser, tasks } from '@tickstorm/loadlab/swarm';
export class Own extends HttpUser {
  static host = '${origin}';
  static tasks = tasks({ ok: 1 });
  async ok() { await this.client.get('/ok'); throw new (await import('@tickstorm/loadlab/swarm')).StopUser(); }
}
export class Plain extends HttpUser {
  static tasks = tasks({ ok: 1 });
  async ok() { throw new (await import('@tickstorm/loadlab/swarm')).StopUser(); } // no request
}
`,
  );
  const r = await run([
    'swarm',
    '-f',
    f,
    '--headless',
    '-u',
    '1',
    '-r',
    '1',
    '-t',
    '1s',
    '--only-summary',
    'Own',
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`^Swarm: 1 users at 1/s against ${origin} for 1s \\(Own;`, 'm'));
  const other = origin.replace('127.0.0.1', 'localhost');
  const both = await run([
    'swarm',
    '-f',
    f,
    '--headless',
    '-u',
    '2',
    '-r',
    '2',
    '-t',
    '1s',
    '--only-summary',
    '-H',
    other,
  ]);
  assert.equal(both.code, 0, both.stderr + both.stdout);
  assert.match(both.stdout, new RegExp(`against ${origin}, ${other} for 1s \\(Own, Plain;`));
});

test('with a load shape the start line says the shape sets the users, not -u/-r', async () => {
  const origin = srv.url.replace(/\/$/, '');
  const f = join(dir, 'shape.js');
  writeFileSync(
    f,
    `import { HttpUser, LoadTestShape, tasks } from '@tickstorm/loadlab/swarm';
export class U extends HttpUser {
  static tasks = tasks({ ok: 1 });
  async ok() { await this.client.get('/ok'); throw new (await import('@tickstorm/loadlab/swarm')).StopUser(); }
}
export class Steps extends LoadTestShape {
  tick() { return this.getRunTime() < 1 ? { users: 1, spawnRate: 1 } : null; }
}
`,
  );
  const r = await run([
    'swarm',
    '-f',
    f,
    '--headless',
    '-u',
    '50',
    '-r',
    '5',
    '--only-summary',
    '-H',
    origin,
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(
    r.stdout,
    new RegExp(
      `^Swarm: users from the load shape Steps \\(-u/-r ignored\\) against ${origin} until its tick\\(\\) answers null`,
      'm',
    ),
  );
  assert.doesNotMatch(r.stdout, /50 users at 5\/s/);
});
