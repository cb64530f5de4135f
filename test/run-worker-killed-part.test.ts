/**
 * `run --master`: a worker killed (SIGKILL) mid-run used to take its whole part with it (the
 * master passed with half the planned load and nothing of the lost worker). Each worker now
 * sends its part so far every 2 s; the master merges a lost worker's last snapshot into the
 * figures and says so (console, --json's workers.missing[].partial and segments[].partial).
 * Real processes, the master's port chosen by the OS; the kill waits for the master's line
 * that the worker's first snapshot arrived.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startRunMaster } from './support/child.ts';
import { runFixture } from './support/run-fixture.ts';

const fx = runFixture('tickstorm-run-killed-part-');
const { start } = fx;

test("a run worker killed mid-run leaves its part up to its last snapshot in the master's figures", () =>
  killedWorkerPart([]));

test('the same with the killed worker generating on 2 threads (each thread asked for its statistics)', () =>
  killedWorkerPart(['--workers', '2']));

async function killedWorkerPart(threads: string[]): Promise<void> {
  const file = join(fx.dir, `part${threads.length}.ts`);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = {
  scenarios: {
    s: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '12s', preAllocatedVUs: 10 },
  },
};
export default async function (): Promise<void> {
  await http.get('${fx.server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  const json = join(fx.dir, `merged${threads.length}.json`);
  const { master: m, port } = await startRunMaster(start, file, json);
  const w1 = start(['run', '--worker', '--master-port', port, ...threads]);
  const w2 = start(['run', '--worker', '--master-port', port]);
  const [, id1] = await w1.waitFor(/as worker (\S+)\n/);
  await Promise.all([w1.waitFor(/The master said go/), w2.waitFor(/The master said go/)]);
  // the master holds a snapshot of w1's part: kill it now
  await m.waitFor(new RegExp(`Worker ${id1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} sent its part so far`));
  w1.child.kill('SIGKILL');
  const [x, x2] = await Promise.all([m.exited, w2.exited]);
  assert.equal(x2.code, 0, w2.stdout() + w2.stderr());
  assert.equal(x.code, 0, m.stdout() + m.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const missing = report.workers.missing;
  assert.equal(missing.length, 1);
  assert.equal(missing[0].id, id1);
  assert.ok(missing[0].partial.requests > 0, JSON.stringify(missing[0]));
  const segs = report.workers.segments as {
    id: string;
    requests: number;
    partial?: true;
    lastSnapshotAt?: number;
  }[];
  const lost = segs.find((s) => s.id === id1)!;
  const kept = segs.find((s) => s.id !== id1)!;
  assert.equal(lost.partial, true);
  assert.equal(lost.requests, missing[0].partial.requests);
  assert.equal(typeof lost.lastSnapshotAt, 'number');
  assert.equal(kept.partial, undefined);
  // the merged figures hold both: the whole part of the worker that ended, the lost one's snapshot
  const merged = report.scenarios.reduce((a: number, s: { requests: number }) => a + s.requests, 0);
  assert.equal(merged, kept.requests + lost.requests);
  assert.ok(merged > kept.requests);
  assert.match(
    m.stdout(),
    new RegExp(
      `missing: \\S+ \\((?:connection closed|read ECONNRESET)\\); its part up to its last snapshot \\([^,]+, ${lost.requests} requests\\) is in the merged figures`,
    ),
  );
  assert.match(m.stdout(), /merged from 2 worker\(s\); 1 of them lost, up to its last snapshot/);
  // the generator threads of both parts add up: 1 + 1, or 2 + 1 when the lost one ran 2
  assert.equal(report.scenarios[0].generator.workers, threads.length > 0 ? 3 : 2);
}
