/**
 * The exact merge behind `swarm --master` and `tickstorm merge`: recorders and statistics
 * encoded as compressed base64 HdrHistograms (what crosses machines and what --json keeps),
 * decoded and added, give EXACTLY the percentiles of one histogram fed every sample; and
 * two runs' results merged from their JSON equal one run over all requests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeSparse,
  decodeStats,
  encodeRecorder,
  encodeStats,
  LatencyRecorder,
  mergeRunReports,
  mergeScenarioResults,
  newRequestEvent,
  RequestStats,
  type RunReport,
  type ScenarioResult,
  toScenarioResult,
} from '@tickstorm/loadlab';
import { seededRandom } from '@tickstorm/protocol';

function samples(n: number, seed: number): number[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => Math.floor(10 ** (rnd() * 7.5)));
}

const GENERATOR = {
  cpuPercent: 10,
  eventLoopLagMs: { p50: 1, p99: 2, max: 3 },
  droppedIterations: 0,
  workers: 1,
  saturated: false,
  warnings: [],
};
const PERCENTILES = [0, 1, 10, 25, 50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 99.999, 100];

test('encoded recorders from two machines, decoded and added, equal one histogram fed all samples', () => {
  const all = samples(40_000, 11);
  const single = new LatencyRecorder();
  for (const v of all) single.record(v);
  const machines = [new LatencyRecorder(), new LatencyRecorder()];
  all.forEach((v, i) => {
    machines[i % 7 < 3 ? 0 : 1].record(v);
  });
  const wire = machines.map((m) => JSON.parse(JSON.stringify(encodeRecorder(m))));
  const merged = new LatencyRecorder();
  for (const w of wire) merged.addSparse(decodeSparse(w));
  assert.deepEqual(merged.counts, single.counts);
  assert.equal(merged.count, single.count);
  assert.equal(merged.sumUs, single.sumUs);
  assert.equal(merged.minUs, single.minUs);
  assert.equal(merged.maxUs, single.maxUs);
  const a = merged.toHistogram();
  const b = single.toHistogram();
  for (const p of PERCENTILES) assert.equal(a.getValueAtPercentile(p), b.getValueAtPercentile(p), `p${p}`);
  assert.equal(encodeRecorder(merged).hdr, encodeRecorder(single).hdr);
});

test('an empty recorder round-trips (min null in JSON)', () => {
  const e = JSON.parse(JSON.stringify(encodeRecorder(new LatencyRecorder())));
  assert.equal(e.minUs, null);
  const d = decodeSparse(e);
  assert.equal(d.count, 0);
  assert.equal(d.idx.length, 0);
  assert.equal(d.minUs, Number.POSITIVE_INFINITY);
});

/** One run's statistics over every request, and two machines' over their halves. */
function runs() {
  const startUs = 5_000_000;
  const startEpochMs = 1_700_000_000_000;
  const single = new RequestStats({ startUs, startEpochMs });
  const parts = [new RequestStats({ startUs, startEpochMs }), new RequestStats({ startUs, startEpochMs })];
  const ev = newRequestEvent();
  samples(12_000, 5).forEach((v, i) => {
    ev.type = i % 4 === 0 ? 'POST' : 'GET';
    ev.name = i % 4 === 0 ? '/orders' : '/bars';
    ev.latencyUs = v;
    ev.ok = i % 40 !== 0;
    ev.status = ev.ok ? 200 : i % 80 === 0 ? 0 : 503;
    ev.error = ev.ok ? null : ev.status === 0 ? 'ECONNRESET' : 'HTTP 503';
    ev.bytes = 100 + (i % 13);
    ev.timeUs = startUs + i * 500;
    single.record(ev);
    parts[i % 3 === 0 ? 0 : 1].record(ev);
  });
  return { single, parts, startEpochMs };
}

test('statistics snapshots sent as JSON (the master/worker link) merge exactly', () => {
  const { single, parts } = runs();
  const merged = new RequestStats();
  for (const p of parts) merged.merge(decodeStats(JSON.parse(JSON.stringify(encodeStats(p.snapshot())))));
  const a = merged.snapshot();
  const b = single.snapshot();
  assert.deepEqual(
    a.entries.map((e) => ({ ...e, latency: [...e.latency.idx] })),
    b.entries.map((e) => ({ ...e, latency: [...e.latency.idx] })),
  );
  for (let i = 0; i < a.entries.length; i++)
    assert.deepEqual([...a.entries[i].latency.cnt], [...b.entries[i].latency.cnt]);
});

test('two --json results merged equal one run over all requests: every percentile, count and status', () => {
  const { single, parts, startEpochMs } = runs();
  const info = (name: string) => ({
    scenario: name,
    startedAt: startEpochMs,
    durationSec: 6,
    generator: GENERATOR,
  });
  const one = toScenarioResult(single, info('mix'));
  const fromJson = parts.map(
    (p) => JSON.parse(JSON.stringify(toScenarioResult(p, info('mix')))) as ScenarioResult,
  );
  const merged = mergeScenarioResults(fromJson.map((result, i) => ({ source: `m${i}.json`, result })));
  assert.equal(merged.requests, one.requests);
  assert.equal(merged.failures, one.failures);
  assert.deepEqual(merged.latency_ms, one.latency_ms);
  const strip = (s: ScenarioResult) =>
    s.entries.map(({ rps: _r, failuresPerSec: _f, ...e }) => e).sort((x, y) => x.name.localeCompare(y.name));
  assert.deepEqual(strip(merged), strip(one));
  assert.deepEqual(
    [...merged.failureRows].sort((x, y) => x.error.localeCompare(y.error) || x.name.localeCompare(y.name)),
    [...one.failureRows].sort((x, y) => x.error.localeCompare(y.error) || x.name.localeCompare(y.name)),
  );
  // and a whole run report, scenario by scenario
  const report = (s: ScenarioResult): RunReport => ({
    tool: 'tickstorm',
    version: 't',
    startedAt: s.startedAt,
    finishedAt: s.startedAt + 6000,
    target: 'http://x',
    scenarios: [s],
    thresholds: [],
    exitCode: 0,
  });
  const run = mergeRunReports(
    fromJson.map((s, i) => ({ source: `m${i}.json`, report: report(s) })),
    't',
  );
  assert.equal(run.scenarios.length, 1);
  assert.deepEqual(run.scenarios[0].latency_ms, one.latency_ms);
});

test('a result without encoded histograms is refused, naming the file (LAB_ERR_INVALID_REPORT)', () => {
  const { single, startEpochMs } = runs();
  const r = toScenarioResult(single, {
    scenario: 'x',
    startedAt: startEpochMs,
    durationSec: 1,
    generator: GENERATOR,
  });
  for (const e of r.entries) delete e.histogram;
  assert.throws(
    () => mergeScenarioResults([{ source: 'old.json', result: r }]),
    (e: Error & { code?: string }) => e.code === 'LAB_ERR_INVALID_REPORT' && /old\.json/.test(e.message),
  );
});
