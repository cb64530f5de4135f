/**
 * The HTML report's latency-by-percentile curve: the full percentile distribution of the
 * entries' encoded HdrHistograms (outputPercentileDistribution's levels, 5 ticks per
 * half-distance, out to the max), the 12 summary percentiles only without histograms, and
 * the exact merged distribution after `tickstorm merge`'s path (JSON written, read back, merged).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  decodeHistogram,
  halfDistanceLevels,
  mergeRunReports,
  percentileDistribution,
  percentileTickLevels,
  readJsonReport,
  writeHtmlReport,
  writeJsonReport,
} from '@tickstorm/loadlab';
import { buildRunReport, recordedScenario as scenario } from '@tickstorm/loadlab/testing';
import { type CurvePoint, percentileCurvePoints } from '../src/report/percentile-curve.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-curve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const series = (pts: readonly CurvePoint[], name: string) => pts.filter((p) => p.name === name);
const pctOf = (p: CurvePoint) => Number.parseFloat(p.percentile);

function assertMonotone(pts: readonly CurvePoint[]): void {
  for (let i = 1; i < pts.length; i++) {
    assert.ok(pts[i].x > pts[i - 1].x, `x rises at ${pts[i].percentile}`);
    assert.ok(pts[i].ms >= pts[i - 1].ms, `ms never falls at ${pts[i].percentile}`);
  }
}

/** Vertex count of each series' line in the written HTML's percentile-curve chart. */
function curveLineVertices(html: string): Map<string, number> {
  const start = html.indexOf('aria-label="Latency by percentile (HdrHistogram)"');
  assert.ok(start > 0, 'the percentile curve chart is in the HTML');
  const svg = html.slice(start, html.indexOf('</svg>', start));
  const out = new Map<string, number>();
  for (const m of svg.matchAll(
    /<path aria-label="[^"]*Request: ([^;"]+)[^"]*"[^>]*aria-roledescription="line mark" d="([^"]+)"/g,
  ))
    out.set(m[1], (m[2].match(/[ML]/g) ?? []).length);
  return out;
}

test('percentile curve from a histogram of 1..10000 µs: HdrHistogram levels, monotone, out to the max', () => {
  const s = scenario(Array.from({ length: 10_000 }, (_, i) => ({ type: 'GET', name: '/x', us: i + 1 })));
  const h = decodeHistogram(s.entries[0].histogram!.hdr);
  // the levels and values are outputPercentileDistribution's, row for row
  const hgrm = h
    .outputPercentileDistribution(5, 1000)
    .split('\n')
    .filter((l) => /^\s*\d/.test(l))
    .map((l) => l.trim().split(/\s+/));
  const dist = percentileDistribution(h);
  assert.equal(dist.length, hgrm.length);
  dist.forEach((d, i) => {
    assert.ok(Math.abs(d.percentile / 100 - Number(hgrm[i][1])) < 1e-12, `row ${i} level`);
    assert.equal((d.us / 1000).toFixed(3), hgrm[i][0], `row ${i} value`);
  });
  assert.deepEqual(
    halfDistanceLevels(h, 5),
    percentileTickLevels(h),
    'the ticking rule stepped by hand agrees',
  );

  const pts = percentileCurvePoints(s);
  assert.deepEqual(new Set(pts.map((p) => p.name)), new Set(['All requests']), 'one entry: one series');
  assertMonotone(pts);
  assert.ok(pts.length > 40 && pts.length <= 300, `${pts.length} points`);
  const last = pts.at(-1)!;
  assert.equal(last.percentile, '100%');
  assert.equal(last.ms, 10, 'ends at the exact max (10,000 µs), not its bucket top');
  assert.equal(last.ms, s.latency_ms.max);
  assert.ok(last.x >= 10_000, `the max sits at x = the count or beyond (${last.x})`);
  assert.ok(pts.filter((p) => pctOf(p) > 99.9).length >= 3, 'ticks beyond 99.9%');
  for (const [p, key] of [
    [50, 'p50'],
    [99, 'p99'],
    [99.9, 'p99_9'],
  ] as const) {
    const pt = pts.find((x) => x.percentile === `${p}%`);
    assert.ok(pt?.named, `${p}% is on the curve, marked`);
    assert.equal(pt.ms, h.getValueAtPercentile(p) / 1000, `${p}% is getValueAtPercentile's`);
    assert.equal(pt.ms, (s.latency_ms as unknown as Record<string, number>)[key], `${p}% is the summary's`);
  }
  assert.equal(pts[0].ms, 0.001, 'starts at the min');
  h.destroy();
});

test('HTML report: every series of the curve has many more than 12 points with histograms, 12 without', async () => {
  // GET fast with a 0.01% tail at 500 ms, POST slower; 100,000 requests
  const samples = Array.from({ length: 100_000 }, (_, i) =>
    i % 4 === 0
      ? { type: 'POST', name: '/orders', us: 2000 + (i % 997) * 3 }
      : { type: 'GET', name: '/x', us: i % 10_000 === 1 ? 500_000 : 1000 + (i % 101) * 7 },
  );
  const s = scenario(samples);
  const pts = percentileCurvePoints(s);
  for (const name of ['All requests', 'GET /x', 'POST /orders']) {
    const ser = series(pts, name);
    assertMonotone(ser);
    assert.ok(ser.length > 36 && ser.length <= 300, `${name}: ${ser.length} points`);
  }
  const all = series(pts, 'All requests');
  assert.ok(all.at(-1)!.ms === 500 && all.at(-1)!.x >= 100_000, 'the tail reaches the max at x = 100,000');
  assert.ok(all.find((p) => p.percentile === '99.9%')!.ms < 5, 'the tail starts past 99.9%');

  const f = join(dir, 'r.html');
  await writeHtmlReport(f, buildRunReport([s]));
  const html = readFileSync(f, 'utf8');
  const lines = curveLineVertices(html);
  assert.deepEqual([...lines.keys()].sort(), ['All requests', 'GET /x', 'POST /orders']);
  for (const [name, n] of lines) {
    assert.equal(n, series(pts, name).length, `${name}: one vertex per point`);
    assert.ok(n > 36, `${name}: ${n} vertices`);
  }
  assert.match(html, />99\.999%<\/text>/, 'the x axis reaches 99.999%');

  // a report read back from an older tickstorm (no histograms): the 12 summary percentiles
  const old = structuredClone(s);
  for (const e of old.entries) delete e.histogram;
  const oldPts = percentileCurvePoints(old);
  assert.deepEqual(
    series(oldPts, 'All requests').map((p) => p.percentile),
    ['0%', '50%', '66%', '75%', '80%', '90%', '95%', '98%', '99%', '99.9%', '99.99%', '99.999%'],
  );
  await writeHtmlReport(f, buildRunReport([old]));
  for (const [name, n] of curveLineVertices(readFileSync(f, 'utf8')))
    assert.ok(n <= 12, `${name}: ${n} vertices without histograms`);
});

test('merged --json reports (tickstorm merge): the curve is the exact merged distribution', () => {
  const a = Array.from({ length: 30_000 }, (_, i) => ({ type: 'GET', name: '/x', us: 800 + (i % 500) }));
  const b = Array.from({ length: 20_000 }, (_, i) => ({
    type: i % 2 === 0 ? 'GET' : 'POST',
    name: '/x',
    us: i % 5000 === 7 ? 90_000 : 1500 + (i % 733) * 2,
  }));
  const files = [a, b].map((samples, k) => {
    const file = join(dir, `part-${k}.json`);
    writeJsonReport(file, buildRunReport([scenario(samples, 1_732_280_000_000 + k * 1000)]));
    return file;
  });
  const merged = mergeRunReports(
    files.map((source) => ({ source, report: readJsonReport(source) })),
    'test',
  ).scenarios[0];
  const whole = scenario([...a, ...b]);
  const got = percentileCurvePoints(merged);
  assert.deepEqual(got, percentileCurvePoints(whole), 'merged curve = one run over every request');
  assert.ok(series(got, 'All requests').length > 36);
  assert.equal(series(got, 'All requests').at(-1)!.ms, 90);
});
