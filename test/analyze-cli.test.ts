import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ResultsCsvWriter } from '@tickstorm/loadlab';
import { decodePng, pixelStats } from '@tickstorm/loadlab/testing';
import { BIN } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadlab-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tickstorm(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
}

describe('tickstorm analyze (CLI)', () => {
  it('prints the analysis and saves the PNG given by --out', () => {
    const csv = join(dir, 'results.csv');
    const w = new ResultsCsvWriter(csv, { startedAtSec: 1_732_280_000 });
    for (let i = 0; i < 400; i++)
      w.write(1_732_280_000 + i / 100, 1 + (i % 20), i % 40 !== 0, 'POST /orders');
    w.close();
    const r = tickstorm('analyze', 'results.csv', '--out', 'x.png');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^=== Load Test Analysis ===\ntotal_requests: 400\nsuccessful: 390\nfailed: 10\np50_latency: 10\.50 ms\np95_latency: 19\.05 ms\np99_latency: 20\.00 ms\nmax_latency: 20\.00 ms\nthroughput: 99\.75 req\/sec\n\nPlot saved to x\.png\n$/,
    );
    const png = join(dir, 'x.png');
    assert.ok(existsSync(png));
    const { nonBackground, colours } = pixelStats(decodePng(readFileSync(png)));
    assert.ok(nonBackground > 10_000 && colours > 5);
  });

  it('--scenario and --name pick one scenario or request out of a mixed requests.csv', () => {
    const csv = join(dir, 'mixed.csv');
    const w = new ResultsCsvWriter(csv, { startedAtSec: 1_732_280_000, scenarioColumn: true });
    for (let i = 0; i < 100; i++) w.write(1_732_280_000 + i / 100, 5, true, 'POST /orders', 'order-stress');
    for (let i = 0; i < 300; i++)
      w.write(1_732_280_000 + i / 100, 50, i % 3 !== 0, 'WS update', 'ws-concurrency');
    w.close();
    const all = tickstorm('analyze', 'mixed.csv', '--no-plot');
    assert.match(all.stdout, /total_requests: 400/);
    const a = tickstorm('analyze', 'mixed.csv', '--no-plot', '--scenario', 'order-stress');
    assert.equal(a.status, 0, a.stderr);
    assert.match(a.stdout, /total_requests: 100\nsuccessful: 100\nfailed: 0\np50_latency: 5\.00 ms/);
    const b = tickstorm('analyze', 'mixed.csv', '--no-plot', '--name', 'update');
    assert.match(b.stdout, /total_requests: 300\nsuccessful: 200\nfailed: 100\np50_latency: 50\.00 ms/);
    const c = tickstorm('analyze', 'mixed.csv', '--no-plot', '--scenario', 'nope');
    assert.equal(c.status, 104);
    assert.match(c.stderr, /no rows match --scenario nope/);
    const d = tickstorm('analyze', 'results.csv', '--no-plot', '--scenario', 'order-stress');
    assert.equal(d.status, 104);
    assert.match(d.stderr, /--scenario: .* has no scenario column/);
  });

  it('exits 104 and names the missing column', () => {
    writeFileSync(join(dir, 'nolatency.csv'), 'timestamp,success,duration\n1,True,0.5\n');
    const r = tickstorm('analyze', 'nolatency.csv', '--out', 'never.png');
    assert.equal(r.status, 104);
    assert.match(r.stderr, /missing column latency/);
    assert.equal(r.stdout, '');
    assert.ok(!existsSync(join(dir, 'never.png')));
  });

  it('exits 104 for a file that does not exist', () => {
    const r = tickstorm('analyze', 'nope.csv', '--no-plot');
    assert.equal(r.status, 104);
    assert.match(r.stderr, /no such file: nope\.csv/);
  });

  it('--out in directories that do not exist yet creates them, as every report flag does', () => {
    const csv = join(dir, 'nested.csv');
    const w = new ResultsCsvWriter(csv, { startedAtSec: 1_732_280_000 });
    for (let i = 0; i < 50; i++) w.write(1_732_280_000 + i / 10, 2 + (i % 5), true, 'GET /');
    w.close();
    const r = tickstorm('analyze', 'nested.csv', '--out', join('plots', 'run-1', 'latency.png'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /total_requests: 50\n[\s\S]*Plot saved to plots\/run-1\/latency\.png\n$/);
    const { nonBackground } = pixelStats(decodePng(readFileSync(join(dir, 'plots', 'run-1', 'latency.png'))));
    assert.ok(nonBackground > 1_000);
  });
});
