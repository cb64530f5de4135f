/**
 * `tickstorm swarm` as a user runs it: headless output (the Locust-style Sample Results table with
 * an Aggregated row), Locust-compatible CSV headers, --json, thresholds → 99, every bad flag
 * reported at once → 104.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  LOCUST_EXCEPTIONS_COLUMNS,
  LOCUST_FAILURES_COLUMNS,
  LOCUST_HISTORY_COLUMNS,
  LOCUST_STATS_COLUMNS,
  splitCsvLines,
} from '@tickstorm/loadlab';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { BIN, tickstorm } from './support/cli.ts';

const USERS = fileURLToPath(new URL('../packages/loadlab/test/fixtures/swarm-users.ts', import.meta.url));
let server: LocalServer;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-swarm-cli-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('tickstorm swarm', () => {
  test('headless: Sample Results table, Locust CSV headers, JSON; exit 0', async () => {
    const prefix = join(dir, 'run');
    const json = join(dir, 'run.json');
    const html = join(dir, 'run.html');
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      'Reader',
      '--headless',
      '-u',
      '3',
      '-r',
      '100',
      '-t',
      '1s',
      '-H',
      server.url,
      '--csv',
      prefix,
      '--json',
      json,
      '--html',
      html,
      '--only-summary',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<title>Tickstorm swarm report: swarm-users<\/title>/);
    assert.match(page, /Sample Results/);
    assert.doesNotMatch(
      page,
      /Critical Path Targets/,
      'the Performance Targets tables have no rows for a user mix',
    );
    const lines = r.stdout.split('\n');
    const head = lines.findIndex((l) =>
      /^Type\s+Name\s+# reqs\s+# fails\s+Avg\s+Min\s+Max\s+Med\s+\|\s+req\/s\s+failures\/s$/.test(l),
    );
    assert.ok(head >= 0, r.stdout);
    assert.match(lines.find((l) => /^DATA\s+read\s+\d+\s+0\s/.test(l)) ?? '', /\|/);
    assert.match(lines.find((l) => /^\s+Aggregated\s+\d+/.test(l)) ?? '', /Aggregated/);
    assert.doesNotMatch(r.stdout, /\bfail\b.*HTTP 500/, 'Breaker was not picked');
    assert.match(r.stdout, /PASSED/);
    const header = (file: string) => splitCsvLines(readFileSync(`${prefix}_${file}.csv`, 'utf8'))[0];
    assert.equal(header('stats'), LOCUST_STATS_COLUMNS.join(','));
    assert.equal(header('stats_history'), LOCUST_HISTORY_COLUMNS.join(','));
    assert.equal(header('failures'), LOCUST_FAILURES_COLUMNS.join(','));
    assert.equal(header('exceptions'), LOCUST_EXCEPTIONS_COLUMNS.join(','));
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const s = report.scenarios[0];
    assert.equal(s.scenario, 'swarm-users');
    assert.ok(s.requests > 0);
    assert.deepEqual(s.params.classes, ['Reader']);
  });

  test('a failed threshold exits 99 and says which; task exceptions reach PREFIX_exceptions.csv', async () => {
    const prefix = join(dir, 'failing');
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      '--headless',
      '-u',
      '4',
      '-r',
      '100',
      '-t',
      '1s',
      '-H',
      server.url,
      '--threshold',
      'error_rate<1%',
      '--only-summary',
      '--csv',
      prefix,
    ]);
    assert.equal(r.code, 99, r.stdout + r.stderr);
    assert.match(r.stdout, /error_rate<1%/);
    assert.match(r.stdout, /FAILED/);
    assert.match(r.stdout, /Exceptions \(count, message\):\n\s+\d+\s+Error: server said 500/);
    const rows = splitCsvLines(readFileSync(`${prefix}_exceptions.csv`, 'utf8'));
    assert.equal(rows.length, 2);
    assert.match(rows[1], /^\d+,Error: server said 500,"Error: server said 500\n\s+at /);
  });

  test('web mode with --autostart and --autoquit runs a test and reports it', async () => {
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      'Reader',
      '--web-port',
      '0',
      '--autostart',
      '--autoquit',
      '0',
      '-t',
      '1s',
      '-u',
      '2',
      '-r',
      '100',
      '-H',
      server.url,
      '--only-summary',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Web UI: http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C to quit\)$/m);
    assert.match(r.stdout, /^\s+Aggregated\s+\d+/m);
  });

  test('Ctrl-C stops a headless swarm, prints what it measured and exits 105', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'swarm', '-f', USERS, 'Reader', '--headless', '-u', '2', '-r', '100', '-H', server.url],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    const started = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('until Ctrl-C')) resolve();
      });
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await started;
    child.kill('SIGINT');
    assert.equal(await closed, 105);
    assert.match(stdout, /^\s+Aggregated\s+\d+/m);
    assert.match(stdout, /INTERRUPTED/);
  });

  test('every bad flag at once, exit 104, nothing runs', async () => {
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      'Nobody',
      '--headless',
      '-u',
      'lots',
      '-r',
      '0',
      '-t',
      'soon',
      '--processes',
      '0',
      '-H',
      'ftp://x',
      '--threshold',
      'p95<<1',
    ]);
    assert.equal(r.code, 104);
    for (const want of [
      /-u\/--users must be an integer >= 0, got 'lots'/,
      /-r\/--spawn-rate must be a number > 0/,
      /-t\/--run-time must be a duration/,
      /--processes must be an integer 1..256/,
      /-H\/--host must be an http/,
      /unknown user class 'Nobody' \(the file has: Breaker, Reader\)/,
      /p95<<1/,
    ]) {
      assert.match(r.stderr, want);
    }
    const missing = await tickstorm(['swarm', '--headless']);
    assert.equal(missing.code, 104);
    assert.match(missing.stderr, /-f\/--locustfile is required/);
  });
});
