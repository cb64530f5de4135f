/**
 * `tickstorm merge A.json B.json --html FILE`: the merged report's latency-by-percentile curve
 * is drawn from the merged HdrHistograms, so its "All requests" line is the very line of one
 * run over every request (same points, same SVG path), with many more than the 12 summary
 * percentiles.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeHtmlReport, writeJsonReport } from '@tickstorm/loadlab';
import { buildRunReport, recordedScenario as scenario } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-merge-curve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The `d` of the "All requests" line in the percentile-curve chart. */
function allRequestsLine(html: string): string {
  const start = html.indexOf('aria-label="Latency by percentile (HdrHistogram)"');
  assert.ok(start > 0, 'the percentile curve chart is in the HTML');
  const svg = html.slice(start, html.indexOf('</svg>', start));
  const m = svg.match(
    /aria-label="[^"]*Request: All requests[^"]*"[^>]*aria-roledescription="line mark" d="([^"]+)"/,
  );
  assert.ok(m, 'an "All requests" line');
  return m[1];
}

test('tickstorm merge --html: the percentile curve is the merged distribution, point for point', async () => {
  const a = Array.from({ length: 40_000 }, (_, i) => 700 + (i % 900));
  const b = Array.from({ length: 25_000 }, (_, i) => (i % 5000 === 3 ? 250_000 : 1200 + (i % 613) * 5));
  const parts = [a, b].map((lat, k) => {
    const f = join(dir, `part-${k}.json`);
    writeJsonReport(f, buildRunReport([scenario(lat)]));
    return f;
  });
  const out = join(dir, 'merged.html');
  const r = await tickstorm(['merge', ...parts, '--html', out]);
  assert.equal(r.code, 0, r.stderr);
  const merged = allRequestsLine(readFileSync(out, 'utf8'));

  const wholeFile = join(dir, 'whole.html');
  await writeHtmlReport(wholeFile, buildRunReport([scenario([...a, ...b])]));
  assert.equal(
    merged,
    allRequestsLine(readFileSync(wholeFile, 'utf8')),
    'same line as one run over every request',
  );
  const vertices = (merged.match(/[ML]/g) ?? []).length;
  assert.ok(vertices > 36, `${vertices} points, not the 12 summary percentiles`);
});
