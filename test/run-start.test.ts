/**
 * `tickstorm start` (npm start's main job) end to end, on free ports and short durations:
 * the system starts in a child process, every scenario runs against it with the resource
 * watch on the child's PID, both tables print with real numbers, every file lands in --out,
 * and the system is stopped gracefully.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startExitCode } from '../src/cli/commands/start.ts';
import { BIN } from './support/cli.ts';

test('tickstorm start: system up, all scenarios, both tables, results written, system stopped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-start-'));
  const out = join(dir, 'results');
  try {
    const args = [
      BIN,
      'start',
      '--free-ports',
      '--no-bench',
      '--duration',
      '1s',
      '--out',
      out,
      '--data-dir',
      join(dir, 'data'),
    ];
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    // One-second runs may miss a latency target on a busy machine: the run's verdict (report.json)
    // is 0 or 99, and start exits 0 either way without --gate (the misses are reported).
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    const pid = Number(/pid (\d+), every \/health answered/.exec(r.stdout)?.[1]);
    assert.ok(pid > 0, r.stdout);
    for (const title of ['Market Data Flood', 'Order Stress', 'Database Throughput', 'WebSocket Concurrency'])
      assert.ok(r.stdout.includes(`=== ${title} Test Results ===`), title);
    assert.match(r.stdout, /\| Orders\/sec +\| 1,000\+ +\| [\d,]+ +\|/);
    assert.match(r.stdout, /\| WebSocket clients +\| 100\+ +\| 100 /);
    assert.match(r.stdout, new RegExp(`[✅❌] tickstorm serve \\(pid ${pid}\\): CPU [\\d.]+%, RSS`));
    assert.match(r.stdout, /HTML report: file:\/\/.*report\.html/);
    assert.match(r.stdout, /stopped cleanly/);
    assert.ok(!existsSync(`/proc/${pid}`), 'the system process is gone');
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    assert.equal(json.scenario, 'all');
    assert.deepEqual(
      json.scenarios.map((s: { scenario: string }) => s.scenario),
      ['market-data-flood', 'order-stress', 'db-throughput', 'ws-concurrency'],
    );
    assert.ok(json.exitCode === 0 || json.exitCode === 99, String(json.exitCode));
    assert.equal(/Some targets were missed/.test(r.stdout), json.exitCode === 99, r.stdout);
    for (const f of [
      'report.html',
      'requests.csv',
      'junit.xml',
      'system.log',
      'locust_order-stress_stats.csv',
    ])
      assert.ok(existsSync(join(out, f)), f);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tickstorm start exits 99 for a missed target only with --gate; 105 when interrupted; errors as they are', () => {
  assert.equal(startExitCode(99, false, false), 0);
  assert.equal(startExitCode(99, false, true), 99);
  assert.equal(startExitCode(0, false, true), 0);
  assert.equal(startExitCode(99, true, false), 105);
  assert.equal(startExitCode(1, false, false), 1);
  assert.equal(startExitCode(104, false, false), 104);
});
