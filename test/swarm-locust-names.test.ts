/**
 * A locustfile ported with Locust's member names keeps its behaviour: `fixed_count`, `wait_time`
 * (instance field or class attribute), `on_start` and `on_stop` work as fixedCount, waitTime,
 * onStart and onStop. They used to be ignored: users with no wait hammered the target.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/locust-names-users.ts', import.meta.url),
);
let server: LocalServer;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-locust-names-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{}'));
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("tickstorm swarm: Locust's member names", () => {
  test('fixed_count, wait_time (field, class attribute, method), on_start and on_stop are honoured', async () => {
    const json = join(dir, 'r.json');
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      '--headless',
      '--only-summary',
      '-u',
      '3',
      '-r',
      '100',
      '-t',
      '2s',
      '-H',
      server.url,
      '--json',
      json,
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
    assert.deepEqual(
      s.extra.peakUsersByClass,
      { ClassPaced: 1, MethodPaced: 1, Ported: 1 },
      'fixed_count = 1',
    );
    const count = (name: string) =>
      (s.entries as { name: string; requests: number }[]).find((e) => e.name === name)?.requests ?? 0;
    // a 0.5 s wait over 2 s: at most 5 tasks per user (unpaced, thousands)
    assert.ok(count('ported') >= 1 && count('ported') <= 5, `ported: ${count('ported')}`);
    assert.ok(count('paced') >= 1 && count('paced') <= 5, `paced: ${count('paced')}`);
    // a wait_time method reading `this` (it threw: the user stopped after one task, exit 1)
    assert.ok(count('method') >= 2 && count('method') <= 5, `method: ${count('method')}`);
    assert.equal(count('on_start'), 1);
    assert.equal(count('on_stop'), 1);
  });

  test("a bad fixed_count is named as written; Locust's list of tasks says how to weight them (104)", async () => {
    const bad = join(dir, 'bad-users.ts');
    writeFileSync(
      bad,
      "import { HttpUser, tasks } from '@tickstorm/loadlab/swarm';\n" +
        'export class B extends HttpUser {\n  static fixed_count = -1;\n  static tasks = tasks<B>({ t: 1 });\n  async t() {}\n}\n' +
        "export class Listed extends HttpUser {\n  static tasks = ['t', 'u'];\n  async t() {}\n  async u() {}\n}\n",
    );
    const r = await tickstorm(['swarm', '-f', bad, '--headless', '-t', '1s']);
    assert.equal(r.code, 104);
    assert.match(r.stderr, /invalid configuration \(2 problems\)/);
    assert.match(r.stderr, /B\.fixed_count must be an integer >= 0, got -1/);
    assert.match(
      r.stderr,
      /Listed\.tasks is a list: give each method a weight, static tasks = tasks<Listed>\(\{ t: 1, u: 1 \}\)/,
    );
  });
});
