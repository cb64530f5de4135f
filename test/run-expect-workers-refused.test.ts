/**
 * `run --master --expect-workers N` counts only workers that can run the test: a worker that
 * refused it (another script) used to make up the number, and the master started the run on
 * fewer than N workers, each with a larger part. It now waits on for one that can, as
 * `swarm --master` does (test/swarm-expect-workers-refused.test.ts). Real processes; the
 * master's port is chosen by the OS.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runFixture } from './support/run-fixture.ts';

const fx = runFixture('tickstorm-run-expect-refused-');
const { start } = fx;

function script(name: string, iterations: number): string {
  const file = join(fx.dir, name);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: ${iterations} } } };
export default async function (): Promise<void> {
  await http.get('${fx.server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  return file;
}

test('a run worker that refused the test does not count toward --expect-workers: the master waits for another', async () => {
  const ours = script('ours.ts', 8);
  const theirs = script('theirs.ts', 9);
  const json = join(fx.dir, 'merged.json');
  const m = start([
    'run',
    ours,
    '--master',
    '--expect-workers',
    '2',
    '--master-bind-port',
    '0',
    '--json',
    json,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const w1 = start(['run', '--worker', '--master-port', port]);
  await m.waitFor(/connected \(1 of 2 expected\)/);
  const refused = start(['run', theirs, '--worker', '--master-port', port]);
  const [, next] = await m.waitFor(/is missing \(it cannot run the test: [^\n]*\n([^\n]*)\n/);
  assert.equal((await refused.exited).code, 104, refused.stderr());
  assert.match(next, /^Waiting for 2 worker\(s\) \(--expect-workers\); 1 connected$/, m.stdout());
  assert.doesNotMatch(m.stdout(), /Started the run/);
  const w2 = start(['run', '--worker', '--master-port', port]);
  await m.waitFor(/Started the run on 2 worker\(s\)/);
  const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(x1.code, 0, w1.stderr());
  assert.equal(x2.code, 0, w2.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.workers.joined.length, 3);
  assert.equal(report.workers.segments.length, 2);
  assert.deepEqual(
    report.workers.segments.map((s: { requests: number }) => s.requests),
    [4, 4],
  );
});
