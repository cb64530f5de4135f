/**
 * scripts/start_trading.sh and scripts/stop_trading.sh, run as a user runs them (bash,
 * from the repo root): ports 0 through the environment (the start script reads the real
 * ones back from the log), the PID file and log under TICKSTORM_DATA_DIR, health-checked
 * URLs printed, a second start refused, SIGTERM stop with a clean exit, and a failed start
 * reported with the log tail and no PID file left behind; a PID file naming another program
 * (its pid reused after a kill -9) is stale for both scripts.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { alive, parseUrls, REPO_ROOT, run } from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

const START = join(REPO_ROOT, 'scripts/start_trading.sh');
const STOP = join(REPO_ROOT, 'scripts/stop_trading.sh');

describe('scripts/start_trading.sh and scripts/stop_trading.sh', { timeout: 180_000 }, () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const pidFile = () => join(dir, 'tickstorm.pid');
  const http = new Http();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tickstorm-scripts-'));
    env = {
      ...process.env,
      TICKSTORM_DATA_DIR: dir,
      MARKET_DATA_PORT: '0',
      EXECUTION_ENGINE_PORT: '0',
      RISK_MANAGER_PORT: '0',
      API_PORT: '0',
      TICKSTORM_START_TIMEOUT: '90',
    };
  });
  after(async () => {
    await http.close();
    if (existsSync(pidFile())) {
      const pid = Number(readFileSync(pidFile(), 'utf8'));
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('start: background process, PID file, log, healthy URLs printed', async () => {
    const f = await run('bash', [START], env, 120_000);
    assert.equal(f.code, 0, f.stderr + f.stdout);
    const urls = parseUrls(f.stdout);
    assert.deepEqual(Object.keys(urls).sort(), ['api', 'execution-engine', 'market-data', 'risk-manager']);
    assert.match(f.stdout, /Stop it with: scripts\/stop_trading\.sh/);
    const pid = Number(readFileSync(pidFile(), 'utf8'));
    assert.ok(alive(pid), `pid ${pid} runs`);
    assert.match(readFileSync(join(dir, 'tickstorm.log'), 'utf8'), /^pid \d+;/m);
    // The whole process title, as `ps aux | grep -E "(...|risk-manager)"` shows it (it was cut
    // to the length of `node /path/bin/tickstorm.js serve`: `... risk-mana`).
    const ps = await run('ps', ['-o', 'args=', '-p', String(pid)], env);
    assert.equal(ps.stdout.trim(), 'tickstorm market-data execution-engine risk-manager');
    for (const url of Object.values(urls)) assert.equal((await http.get(`${url}/health`)).status, 200);
    const r = await http.post(`${urls['execution-engine']}/orders`, order('TSLA', 'sell', 'limit', 3, 100));
    assert.equal(r.status, 201);
    await http.close();
  });

  test('a second start is refused while it runs', async () => {
    const f = await run('bash', [START], env);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /already running/);
  });

  test('--help (-h): usage, exit 0; nothing started, stopped or created', async () => {
    const pid = Number(readFileSync(pidFile(), 'utf8'));
    // Before: start --help was passed to serve and reported "did not start" (exit 1), and
    // stop --help stopped the running system.
    const stop = await run('bash', [STOP, '--help'], env);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(
      stop.stdout,
      /^Usage: .*stop_trading\.sh \[--data-dir DIR\]\n\nStops what scripts\/start_trading\.sh started/,
    );
    assert.ok(alive(pid), 'still running after stop --help');
    const fresh = join(dir, 'not-created');
    const start = await run('bash', [START, '-h'], { ...env, TICKSTORM_DATA_DIR: fresh });
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /^Usage: .*start_trading\.sh \[service\.\.\.\] \[tickstorm serve options\]/);
    assert.match(start.stdout, /Starts the Tickstorm trading system in the background/);
    assert.match(start.stdout, /Usage: tickstorm serve \[options\] \[service\.\.\.\]/);
    assert.equal(existsSync(fresh), false, 'no data directory made');
    assert.ok(alive(pid), 'still running after start -h');
  });

  test('stop: SIGTERM, waits, "stopped cleanly", PID file removed; stopping again is a no-op', async () => {
    const pid = Number(readFileSync(pidFile(), 'utf8'));
    const f = await run('bash', [STOP], env);
    assert.equal(f.code, 0, f.stderr + f.stdout);
    assert.match(f.stdout, /stopped cleanly/);
    assert.equal(alive(pid), false);
    assert.equal(existsSync(pidFile()), false);
    assert.match(readFileSync(join(dir, 'tickstorm.log'), 'utf8'), /SIGTERM: stopping/);
    const again = await run('bash', [STOP], env);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /not running/);
  });

  // `ssh -t host ./scripts/start_trading.sh`: the script runs as the session leader of a
  // terminal that closes when it returns. The kernel then sent SIGHUP to the terminal's
  // foreground process group, the system's too, and it died without a clean stop (nohup did not
  // help: node resets SIGHUP as it starts). script(1) gives the start script such a terminal.
  const scriptPty = spawnSync('script', ['--version']).status === 0;
  test('started on a terminal that closes, the system keeps running', { skip: !scriptPty }, async () => {
    const f = await run('script', ['-qec', `bash ${START}`, '/dev/null'], env, 120_000);
    assert.equal(f.code, 0, f.stderr + f.stdout);
    const pid = Number(readFileSync(pidFile(), 'utf8'));
    // The SIGHUP was sent as the terminal's session leader exited, before script(1) returned;
    // SIGHUP (1) is taken before SIGTERM (15), so a system it reached is gone before the stop.
    const stop = await run('bash', [STOP], env);
    assert.equal(stop.code, 0, stop.stderr + stop.stdout);
    assert.match(stop.stdout, /stopped cleanly/);
    assert.equal(alive(pid), false);
  });

  test('a start that fails shows the log tail and leaves no PID file', async () => {
    const f = await run('bash', [START, 'nonsense'], env, 120_000);
    assert.equal(f.code, 1);
    assert.match(f.stderr, /did not start/);
    assert.match(f.stderr, /unknown service "nonsense"/);
    assert.equal(existsSync(pidFile()), false);
  });

  test('a PID file whose pid is now another program is stale: start and stop go on, that program untouched', async () => {
    // before, start said "already running" (exit 1) and stop refused: the user had to find
    // and delete the file after every kill -9 whose pid got reused (or a reboot)
    const other = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      writeFileSync(pidFile(), `${other.pid}\n`);
      const stop = await run('bash', [STOP], env);
      assert.equal(stop.code, 0, stop.stderr + stop.stdout);
      assert.match(stop.stdout, /stale/);
      assert.equal(existsSync(pidFile()), false);
      writeFileSync(pidFile(), `${other.pid}\n`);
      const start = await run('bash', [START], env, 120_000);
      assert.equal(start.code, 0, start.stderr + start.stdout);
      assert.match(start.stdout, /removed the stale/);
      const pid = Number(readFileSync(pidFile(), 'utf8'));
      assert.notEqual(pid, other.pid);
      assert.ok(alive(pid), `pid ${pid} runs`);
      const stopped = await run('bash', [STOP], env);
      assert.equal(stopped.code, 0, stopped.stderr + stopped.stdout);
      assert.match(stopped.stdout, /stopped cleanly/);
      assert.ok(alive(other.pid!), 'the other program was never signalled');
    } finally {
      other.kill('SIGKILL');
    }
  });
});
