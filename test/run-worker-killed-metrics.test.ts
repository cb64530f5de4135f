/**
 * `run --master`: a run worker killed (SIGKILL) mid-run left its requests in the merged
 * figures (its last 2 s snapshot) but not its script metrics: its checks, Counters, Rates,
 * Trends and iterations were missing from the whole the thresholds read (the master even
 * printed that its report "carries no script metrics"), and its per-second series too. A
 * snapshot now carries the script section its final report would, and the seconds closed so
 * far. Real processes, the master's port chosen by the OS; the kill waits for the master's
 * line that the worker's first snapshot arrived.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { LocalServer } from '@tickstorm/loadlab/testing';
import { startRunMaster, trackedTickstorm } from './support/child.ts';
import { type HitServer, startHitServer } from './support/hit-server.ts';

let server: LocalServer;
let moreHits: HitServer['moreHits'];
let dir: string;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-killed-metrics-'));
  ({ server, moreHits } = await startHitServer());
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Section {
  scenario: string;
  counters: Record<string, number>;
  trends: Record<string, { count: number }>;
  iterations: number;
}

test("a killed run worker's checks, custom metrics, iterations and seconds are in the merged whole up to its last snapshot", () =>
  killedWorkerMetrics([]));

test('the same with the killed worker generating on 2 threads (each thread asked for its metrics)', () =>
  killedWorkerMetrics(['--workers', '2']));

async function killedWorkerMetrics(threads: string[]): Promise<void> {
  const file = join(dir, `metrics${threads.length}.ts`);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter, Rate, Trend } from 'tickstorm/metrics';
const hits = new Counter('hits');
const good = new Rate('good');
const took = new Trend('took');
export const options = {
  scenarios: {
    s: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '10s', preAllocatedVUs: 10 },
  },
  thresholds: { hits: ['count>0'], checks: ['rate>0'], good: ['rate>0'], took: ['count>0'], iterations: ['count>0'] },
};
export default async function (): Promise<void> {
  const r = await http.get('${server.url.replace(/\/$/, '')}/hit');
  hits.add(1);
  good.add(true);
  took.add(5);
  check(r, { 'answered 200': (x) => x.status === 200 });
}
`,
  );
  const json = join(dir, `merged${threads.length}.json`);
  const { master: m, port } = await startRunMaster(start, file, json);
  const w1 = start(['run', '--worker', '--master-port', port, ...threads]);
  const w2 = start(['run', '--worker', '--master-port', port]);
  const [, id1] = await w1.waitFor(/as worker (\S+)\n/);
  await Promise.all([w1.waitFor(/The master said go/), w2.waitFor(/The master said go/)]);
  await m.waitFor(new RegExp(`Worker ${id1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} sent its part so far`));
  // a few seconds more of load (40/s in all), so that its later snapshots hold closed seconds
  await moreHits(100);
  w1.child.kill('SIGKILL');
  const [x, x2] = await Promise.all([m.exited, w2.exited]);
  assert.equal(x2.code, 0, w2.stdout() + w2.stderr());
  assert.equal(x.code, 0, m.stdout() + m.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const segs = report.workers.segments as {
    id: string;
    requests: number;
    partial?: true;
    lastSnapshotAt: number;
  }[];
  const lost = segs.find((s) => s.id === id1)!;
  const kept = segs.find((s) => s.id !== id1)!;
  assert.equal(lost.partial, true);
  assert.ok(lost.requests > 0);
  // one request, check, hit, rate and Trend sample per iteration: the worker that ended made
  // `kept.requests` of each; the lost one's snapshot holds its own (an iteration in flight at
  // the snapshot may have its request counted and not yet its check: at most its 5 VUs)
  const s = (report.script.scenarios as Section[]).find((x) => x.scenario === 's')!;
  const lostPart = (n: number) => n - kept.requests;
  const near = (what: string, n: number) =>
    assert.ok(
      lostPart(n) > 0 && lostPart(n) <= lost.requests && lostPart(n) >= lost.requests - 5,
      `${what}: ${n} in all, ${kept.requests} of the worker that ended, ${lost.requests} requests of the lost one`,
    );
  near('checks', s.counters['check:answered 200:pass']);
  near('hits', s.counters['metric:counter:hits']);
  near('good', s.counters['metric:rate:good:total']);
  near('took', s.trends.took.count);
  near('iterations', s.iterations);
  // the thresholds read that whole
  const actual = (metric: string) =>
    report.script.thresholds.find((t: { metric: string }) => t.metric === metric).actual as number;
  assert.equal(actual('hits'), s.counters['metric:counter:hits']);
  assert.equal(actual('took'), s.trends.took.count);
  assert.doesNotMatch(m.stdout(), /carries no script metrics/);
  // the merged per-second series holds the lost worker's seconds too
  const series = report.scenarios[0].timeseries as { requests: number }[];
  const inSeries = series.reduce((a, x) => a + x.requests, 0);
  assert.ok(
    inSeries > kept.requests,
    `${inSeries} requests in the series, ${kept.requests} of the worker that ended`,
  );
  assert.ok(inSeries <= kept.requests + lost.requests);
}
