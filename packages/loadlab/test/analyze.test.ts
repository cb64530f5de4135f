import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { decodePng, pixelStats } from '@tickstorm/loadlab/testing';
import { AnalyzeInputError, analyzeFile, formatAnalysis } from '../src/analyze/analyze.ts';
import { histogram } from '../src/analyze/analyze-plot.ts';
import { pandasQuantile, sortedFinite } from '../src/analyze/quantile.ts';
import { readResultsCsv } from '../src/analyze/results-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadlab-analyze-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('pandas quantile', () => {
  it('matches Series.quantile (linear interpolation) on known data', () => {
    const one = sortedFinite(Float64Array.from([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]));
    // pandas.Series(range(1, 11)).quantile(q): position (n-1)q = 9q.
    assert.equal(pandasQuantile(one, 0.5), 5.5);
    assert.ok(Math.abs(pandasQuantile(one, 0.95) - 9.55) < 1e-12);
    assert.ok(Math.abs(pandasQuantile(one, 0.99) - 9.91) < 1e-12);
    const two = sortedFinite(Float64Array.from([100, 0.5, Number.NaN, 12.5, 2.25, 3, 7.75, 10]));
    // NaN skipped; n = 7: q=0.5 -> index 3 = 7.75; q=0.95 -> 5.7 -> 12.5 + 0.7 * 87.5 = 73.75;
    // q=0.99 -> 5.94 -> 12.5 + 0.94 * 87.5 = 94.75.
    assert.equal(pandasQuantile(two, 0.5), 7.75);
    assert.ok(Math.abs(pandasQuantile(two, 0.95) - 73.75) < 1e-9);
    assert.ok(Math.abs(pandasQuantile(two, 0.99) - 94.75) < 1e-9);
    assert.ok(Number.isNaN(pandasQuantile(new Float64Array(0), 0.5)));
  });

  it('histogram: 50 equal bins over [min, max], the last one closed (numpy.histogram)', () => {
    const bins = histogram(Float64Array.from([0, 1, 2, 3, 4, 5, 100]), 50);
    assert.equal(bins.length, 50);
    assert.equal(bins[0].start, 0);
    assert.equal(bins[49].end, 100);
    assert.equal(bins[0].count, 2); // 0 and 1 fall in [0, 2)
    assert.equal(bins[49].count, 1); // 100 is in the closed last bin
    assert.equal(
      bins.reduce((a, b) => a + b.count, 0),
      7,
    );
  });
});

describe('analyze', () => {
  it("prints the pandas script's analysis exactly", async () => {
    const file = csv(
      'known.csv',
      [
        'timestamp,latency,success,duration,name,extra',
        '1732280000.0,1,True,0.5,a,x',
        '1732280000.5,2,true,1.0,a,x',
        '1732280001.0,3,1,1.5,"b,c",x',
        '1732280001.5,4,False,2.0,a,x',
        '1732280002.0,5,false,2.5,a,x',
        '',
        '1732280002.5,6,0,3.0,a,x',
        '1732280003.0,7,True,3.5,a,x',
        '1732280003.5,8,TRUE,4.0,a,x',
        '1732280004.0,9,True,4.5,a,x',
        '1732280004.5,10,True,5.0,a,x',
        '',
      ].join('\r\n'),
    );
    const out = await analyzeFile(file, { out: null });
    assert.equal(
      out.text,
      [
        '=== Load Test Analysis ===',
        'total_requests: 10',
        'successful: 7',
        'failed: 3',
        'p50_latency: 5.50 ms',
        'p95_latency: 9.55 ms',
        'p99_latency: 9.91 ms',
        'max_latency: 10.00 ms',
        'throughput: 2.00 req/sec',
      ].join('\n'),
    );
  });

  it('rounds like Python (half to even on exact ties) and prints nan like Python', () => {
    const base = {
      total_requests: 1,
      successful: 1,
      failed: 0,
      p95_latency: 0,
      p99_latency: 0,
      max_latency: 0,
    };
    const text = formatAnalysis({ ...base, p50_latency: 0.125, throughput: Number.NaN });
    assert.match(text, /^p50_latency: 0\.12 ms$/m);
    assert.match(text, /^throughput: nan req\/sec$/m);
  });

  it('saves a two-panel PNG with real content (decoded, not blank)', async () => {
    const lines = ['timestamp,latency,success,duration'];
    for (let i = 0; i < 3000; i++) {
      const lat = 5 + 3 * Math.sin(i / 150) + (i % 500 === 0 ? 60 : (i * 7919) % 10);
      lines.push(`${1732280000 + i / 100},${lat.toFixed(3)},${i % 50 !== 0},${(i + 1) / 100}`);
    }
    const file = csv('plot.csv', `${lines.join('\n')}\n`);
    const png = join(dir, 'plot.png');
    const out = await analyzeFile(file, { out: png });
    assert.equal(out.png, png);
    assert.match(out.text, /\n\nPlot saved to .*plot\.png$/);
    const img = decodePng(readFileSync(png));
    assert.ok(img.width >= 1100 && img.width <= 1300, `width ${img.width}`);
    assert.ok(img.height >= 500 && img.height <= 700, `height ${img.height}`);
    const { nonBackground, colours } = pixelStats(img);
    const total = img.width * img.height;
    assert.ok(nonBackground > total * 0.03, `only ${nonBackground} of ${total} pixels drawn`);
    assert.ok(colours >= 8, `only ${colours} colours`);
    let blue = 0; // matplotlib's C0, #1f77b4: the bars and the line
    for (let i = 0; i < img.pixels.length; i += img.channels) {
      if (img.pixels[i] === 0x1f && img.pixels[i + 1] === 0x77 && img.pixels[i + 2] === 0xb4) blue++;
    }
    assert.ok(blue > 2000, `only ${blue} pixels of the data colour`);
  });

  it('names every missing column, and the line of a bad value', async () => {
    const missing = csv('missing.csv', 'timestamp,latency,ok\n1,2,True\n');
    await assert.rejects(analyzeFile(missing, { out: null }), (err: Error) => {
      assert.ok(err instanceof AnalyzeInputError);
      assert.match(err.message, /missing columns success, duration/);
      return true;
    });
    const bad = csv('bad.csv', 'timestamp,latency,success,duration\n1,2,True,1\n\n2,fast,True,2\n');
    await assert.rejects(
      analyzeFile(bad, { out: null }),
      /bad\.csv: line 4: latency is not a number: "fast"/,
    );
    const flag = csv('flag.csv', 'timestamp,latency,success,duration\n1,2,yes,1\n');
    await assert.rejects(analyzeFile(flag, { out: null }), /line 2: success must be True\/False/);
    await assert.rejects(analyzeFile(csv('empty.csv', ''), { out: null }), /is empty/);
    await assert.rejects(
      analyzeFile(csv('header.csv', 'timestamp,latency,success,duration\n'), { out: null }),
      /no rows/,
    );
    await assert.rejects(analyzeFile(join(dir, 'absent.csv'), { out: null }), /no such file/);
  });

  it('reads ISO 8601 timestamps (datetime.isoformat()) as epoch seconds, as the pandas script plots them', async () => {
    const file = csv(
      'iso.csv',
      'timestamp,latency,success,duration\n' +
        '2026-01-01T00:00:00Z,4,True,1\n' +
        '2026-01-01T00:00:01.250+00:00,8,True,2\n' +
        '2026-01-01 00:00:02.123456Z,6,False,4\n' +
        '1767225603.5,5,True,4\n',
    );
    const data = await readResultsCsv(file);
    const want = [1767225600, 1767225601.25, 1767225602.123456, 1767225603.5];
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(data.timestamp[i] - want[i]) < 1e-6, `row ${i}: ${data.timestamp[i]}`);
    }
    const local = await readResultsCsv(
      csv('local.csv', 'timestamp,latency,success,duration\n2026-01-01T09:30:00,1,True,1\n'),
    );
    assert.equal(
      local.timestamp[0],
      new Date(2026, 0, 1, 9, 30, 0).getTime() / 1000,
      'no offset: local time',
    );
    // Off UTC (where local and UTC midnight differ), whatever the machine's zone.
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const day = await readResultsCsv(
        csv('day.csv', 'timestamp,latency,success,duration\n2026-01-02,1,True,1\n'),
      );
      assert.equal(day.timestamp[0], new Date(2026, 0, 2).getTime() / 1000, 'a date alone: local midnight');
      assert.equal(day.timestamp[0], Date.UTC(2026, 0, 2, 5) / 1000, 'New York midnight is 05:00 UTC');
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
    const { stats } = await analyzeFile(file, { out: null });
    assert.deepEqual([stats.total_requests, stats.successful, stats.failed, stats.throughput], [4, 3, 1, 1]);
    await assert.rejects(
      analyzeFile(csv('bad-date.csv', 'timestamp,latency,success,duration\n2026-13-45T00:00:00,1,True,1\n'), {
        out: null,
      }),
      /line 2: timestamp is not a number \(epoch seconds\) or an ISO 8601 date-time: "2026-13-45T00:00:00"/,
    );
  });

  it('treats pandas NA strings as missing values (skipped by the statistics)', async () => {
    const file = csv(
      'na.csv',
      'timestamp,latency,success,duration\n1,4,True,1\n2,,True,2\n3,NaN,,3\n4,8,False,4\n',
    );
    const { stats } = await analyzeFile(file, { out: null });
    assert.equal(stats.total_requests, 4);
    assert.equal(stats.successful, 2);
    assert.equal(stats.failed, 1);
    assert.equal(stats.p50_latency, 6);
    assert.equal(stats.throughput, 1);
  });
});
