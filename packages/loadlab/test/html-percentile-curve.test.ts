/** The HTML report's HdrHistogram percentile curve (log x axis out to 99.999%). */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RequestStats, toScenarioResult, writeHtmlReport } from '@tickstorm/loadlab';
import { buildRunReport, orderStress } from '@tickstorm/loadlab/testing';
import { percentileCurvePoints } from '../src/report/html-charts.ts';

test('percentile curve: points out to 99.999% from the histograms, drawn in the HTML report', async () => {
  const stats = new RequestStats({ startUs: 0, startEpochMs: 1_732_280_000_000 });
  for (let i = 0; i < 100_000; i++)
    stats.record({
      type: 'GET',
      name: '/x',
      latencyUs: i < 99_990 ? 1000 + (i % 100) : 500_000, // a 0.01% tail at 500 ms
      ok: true,
      status: 200,
      error: null,
      bytes: 1,
      timeUs: i * 10,
    });
  stats.timeline.finish();
  const s = toScenarioResult(stats, {
    scenario: 'curve',
    startedAt: 1_732_280_000_000,
    durationSec: 1,
    generator: orderStress().generator,
  });
  const pts = percentileCurvePoints(s);
  const pcts = pts.map((p) => p.percentile);
  assert.deepEqual(pcts, [
    '0%',
    '50%',
    '66%',
    '75%',
    '80%',
    '90%',
    '95%',
    '98%',
    '99%',
    '99.9%',
    '99.99%',
    '99.999%',
  ]);
  const at = (p: string) => pts.find((x) => x.percentile === p)!;
  assert.ok(Math.abs(at('99.999%').x - 100_000) < 1);
  assert.ok(at('99.9%').ms < 2, `99.9% ${at('99.9%').ms}`);
  assert.ok(at('99.999%').ms > 400, `99.999% ${at('99.999%').ms}`);
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-html-'));
  try {
    const f = join(dir, 'r.html');
    const report = buildRunReport([s]);
    await writeHtmlReport(f, report);
    const html = readFileSync(f, 'utf8');
    assert.match(html, /Latency by percentile \(HdrHistogram\)/);
    assert.match(html, /99\.999%/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
