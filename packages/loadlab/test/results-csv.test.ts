import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIXTURE_T0, rng } from '@tickstorm/loadlab/testing';
import { analyzeFile, formatAnalysis } from '../src/analyze/analyze.ts';
import { ResultsCsvWriter } from '../src/report/results-csv.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadlab-results-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** pandas' linear quantile, written out independently of the implementation under test. */
function linearQuantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

describe('ResultsCsvWriter (--results-csv)', () => {
  it('writes the analysis script columns, fixed decimals, True/False, duration from the run start', () => {
    const file = join(dir, 'small.csv');
    const w = new ResultsCsvWriter(file, { startedAtSec: FIXTURE_T0 });
    w.write(FIXTURE_T0 + 0.25, 3.2171, true, 'POST /orders');
    w.write(FIXTURE_T0 + 1.5, 120, false, 'GET /book/SYM0,depth=5');
    w.write(FIXTURE_T0 + 2, 0.0004, true, 'POST /orders');
    w.close();
    assert.equal(w.rows, 3);
    assert.equal(
      readFileSync(file, 'utf8'),
      [
        'timestamp,latency,success,duration,name',
        '1732280000.250000,3.217,True,0.253217,POST /orders',
        '1732280001.500000,120.000,False,1.620000,"GET /book/SYM0,depth=5"',
        '1732280002.000000,0.000,True,2.000000,POST /orders',
        '',
      ].join('\n'),
    );
  });

  it('flushes through a small buffer without losing or splitting rows', () => {
    const file = join(dir, 'flush.csv');
    const w = new ResultsCsvWriter(file, { startedAtSec: FIXTURE_T0, bufferBytes: 4096 });
    for (let i = 0; i < 5000; i++) w.write(FIXTURE_T0 + i / 1000, i % 97, i % 13 !== 0, `req-${i % 7}`);
    w.close();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 5001);
    assert.equal(lines[4999], `1732280004.998000,51.000,True,5.049000,req-0`);
    assert.throws(() => w.write(FIXTURE_T0, 1, true, 'x'), /after close/);
  });

  it('round-trips through analyze: same counts, pandas quantiles, throughput = rows / max(duration)', async () => {
    const file = join(dir, 'roundtrip.csv');
    const rand = rng(99);
    const w = new ResultsCsvWriter(file, { startedAtSec: FIXTURE_T0 });
    const lat: number[] = [];
    let ok = 0;
    let maxDuration = 0;
    for (let i = 0; i < 2000; i++) {
      const ms = Math.round((1 + rand() * 40 + (rand() < 0.01 ? 300 : 0)) * 1000) / 1000;
      const success = rand() > 0.02;
      const t = FIXTURE_T0 + i * 0.005;
      w.write(t, ms, success, i % 2 === 0 ? 'POST /orders' : 'GET /health');
      lat.push(ms);
      if (success) ok++;
      maxDuration = Math.max(maxDuration, Number((t + ms / 1000 - FIXTURE_T0).toFixed(6)));
    }
    w.close();
    const { stats } = await analyzeFile(file, { out: null });
    assert.equal(stats.total_requests, 2000);
    assert.equal(stats.successful, ok);
    assert.equal(stats.failed, 2000 - ok);
    for (const [key, q] of [
      ['p50_latency', 0.5],
      ['p95_latency', 0.95],
      ['p99_latency', 0.99],
    ] as const) {
      assert.ok(Math.abs(stats[key] - linearQuantile(lat, q)) < 1e-9, `${key}: ${stats[key]}`);
    }
    assert.equal(stats.max_latency, Math.max(...lat));
    assert.ok(Math.abs(stats.throughput - 2000 / maxDuration) < 1e-9);
  });

  // The users' own pandas/matplotlib script (test/python/analyze_load_test.py, byte for byte),
  // unchanged, on a file this writer wrote: it reads test_results.csv from its working directory.
  const pandas = ['/usr/bin/python3', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import pandas, matplotlib'], { stdio: 'ignore' }).status === 0,
  );
  it("is read by the pandas analysis script as it is: its printout is tickstorm analyze's, and it saves the plot", {
    skip:
      pandas === undefined
        ? 'no python3 with pandas and matplotlib (Debian: python3-pandas python3-matplotlib)'
        : false,
  }, async () => {
    const cwd = mkdtempSync(join(dir, 'pandas-'));
    const file = join(cwd, 'test_results.csv');
    const rand = rng(7);
    const w = new ResultsCsvWriter(file, { startedAtSec: FIXTURE_T0 });
    for (let i = 0; i < 500; i++) {
      w.write(
        FIXTURE_T0 + i * 0.01,
        Math.round((0.5 + rand() * 20) * 1000) / 1000,
        rand() > 0.05,
        'POST /orders,x',
      );
    }
    w.close();
    const script = new URL('./python/analyze_load_test.py', import.meta.url).pathname;
    const r = spawnSync(pandas!, [script], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, MPLBACKEND: 'Agg' },
    });
    assert.equal(r.status, 0, r.stderr);
    const { stats } = await analyzeFile(file, { out: null });
    assert.equal(r.stdout, `${formatAnalysis(stats)}\n\nPlot saved to load_test_results.png\n`);
    const png = join(cwd, 'load_test_results.png');
    assert.ok(existsSync(png) && statSync(png).size > 10_000);
  });
});
