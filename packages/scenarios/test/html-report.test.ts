import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeHtmlReport, writeReports } from '@tickstorm/loadlab';
import { buildRunReport, dbThroughput, orderStress } from '@tickstorm/loadlab/testing';
import { performanceTargetTables } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadlab-html-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('HTML report', () => {
  let html = '';
  before(async () => {
    const report = buildRunReport([orderStress(), dbThroughput()]);
    report.scenarios[1].generator.warnings.push('event-loop lag p99 above 20 ms');
    const file = join(dir, 'report.html');
    await writeHtmlReport(file, report, {
      tables: performanceTargetTables(report),
      histograms: {
        'db-throughput': [
          { start: 0, end: 5, count: 10 },
          { start: 5, end: 10, count: 55 },
          { start: 10, end: 15, count: 35 },
        ],
      },
    });
    html = readFileSync(file, 'utf8');
  });

  it('is self-contained: no external src/href, no scripts, no stylesheets to fetch', () => {
    assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    assert.doesNotMatch(html, /<script|<link\b|@import|url\(\s*["']?https?:/i);
    assert.match(html, /^<!DOCTYPE html>/);
  });

  it('inlines the server-rendered SVG charts, each with its own ids', () => {
    const svgs = html.match(/<svg\b/g) ?? [];
    assert.equal(
      svgs.length,
      2 * (4 + 2),
      'per scenario: distribution, percentile curve, percentiles over time, throughput, CPU, RSS',
    );
    for (const title of [
      'Latency distribution (by percentile)',
      'Latency distribution',
      'Latency by percentile (HdrHistogram)',
      'Latency percentiles over time',
      'Throughput and errors over time',
      'CPU per target process (limit 80%)',
      'RSS per target process (limit 2048 MB)',
    ]) {
      assert.ok(html.includes(`>${title}</text>`), title);
    }
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, 'ids are unique in the document');
    for (const ref of html.matchAll(/url\(#([^)]+)\)/g))
      assert.ok(ids.includes(ref[1]), `dangling ${ref[1]}`);
  });

  it('holds the targets tables, thresholds, scenario tables, generator health and resource watch', () => {
    assert.match(html, /<h3>Critical Path Targets<\/h3>\n<table class="targets">/);
    assert.ok(html.includes('<th>Operation</th><th>Target</th><th>Current</th><th>Status</th>'));
    assert.ok(html.includes('<th>Component</th><th>Target</th><th>Current</th><th>Status</th>'));
    assert.ok(html.includes('<td>Database insert (1k batch)</td><td>&lt;50ms</td>'));
    assert.ok(html.includes('<td>P95 order latency</td><td>&lt; 100 ms</td>'));
    assert.ok(html.includes('<td>Aggregated</td>'));
    assert.ok(html.includes('<h3>Generator health</h3>'));
    assert.ok(html.includes('⚠ event-loop lag p99 above 20 ms'));
    assert.ok(html.includes('<h3>Resource watch</h3>'));
    assert.ok(html.includes('RSS &lt; 2.00 GB per process, CPU &lt; 80%'));
    assert.match(
      html,
      /<td>market-data<\/td><td class="num">[\d.]+<\/td><td class="num">[\d.]+ MB<\/td><td class="pass">✅ pass<\/td>/,
    );
  });

  it('writeReports writes every file asked for', async () => {
    const report = buildRunReport([orderStress()]);
    const written = await writeReports(report, {
      json: join(dir, 'r.json'),
      csv: join(dir, 'r'),
      junit: join(dir, 'r.xml'),
    });
    assert.deepEqual(
      written.map((f) => f.slice(dir.length + 1)),
      ['r.json', 'r_stats.csv', 'r_stats_history.csv', 'r_failures.csv', 'r_exceptions.csv', 'r.xml'],
    );
  });
});
