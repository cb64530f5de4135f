/**
 * `--expect-workers N` counts only workers that can run the test: a worker refused for its
 * user file (it lacks a class of the test) does not make up the number. The master keeps
 * waiting for another one instead of starting on fewer than N workers. Real processes; the
 * master's port is chosen by the OS.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runFixture } from './support/run-fixture.ts';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../packages/loadlab/test/fixtures/${name}`, import.meta.url));
const COUNTED = fixture('swarm-counted-users.ts');
/** A user file without the class Counted. */
const OTHER = fixture('swarm-users.ts');

const fx = runFixture('tickstorm-expect-refused-');
const { start } = fx;

test('a refused worker does not count toward --expect-workers: the master waits for another', async () => {
  const json = join(fx.dir, 'merged.json');
  const m = start([
    'swarm',
    '-f',
    COUNTED,
    'Counted',
    '--master',
    '--headless',
    '--master-bind-port',
    '0',
    '--expect-workers',
    '2',
    '-H',
    fx.server.url,
    '--only-summary',
    '-u',
    '2',
    '-r',
    '100',
    '-t',
    '2s',
    '--json',
    json,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const worker = (file: string) => start(['swarm', '-f', file, '--worker', '--master-port', port]);
  const w1 = worker(COUNTED);
  await m.waitFor(/connected \(1 of 2 expected\)/);
  const refused = worker(OTHER);
  const [, next] = await m.waitFor(
    /is missing \(refused: its user file has no class Counted[^\n]*\n([^\n]*)\n/,
  );
  assert.equal((await refused.exited).code, 104, refused.stderr());
  assert.match(next, /^Waiting for 2 worker\(s\) \(--expect-workers\); 1 connected$/, m.stdout());
  assert.doesNotMatch(m.stdout(), /Starting the test/);
  const w2 = worker(COUNTED);
  await m.waitFor(/Starting the test on 2 worker\(s\)/);
  const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(x1.code, 0, w1.stderr());
  assert.equal(x2.code, 0, w2.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.workers.joined.length, 3);
  assert.equal(report.workers.connected, 2);
  assert.equal(report.workers.missing.length, 1);
});
