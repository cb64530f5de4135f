/**
 * docs/trading-system.md: "An empty variable (`API_PORT=`) counts as unset." TICKSTORM_HOST=,
 * TICKSTORM_DATA_DIR=, TICKSTORM_DURABILITY= and TICKSTORM_LOG_LEVEL= stopped `serve` with
 * exit 2 ("host must be a non-empty string", `got ""`) instead. A bad TICKSTORM_LOG_LEVEL
 * was reported as "--log-level", a flag the command line did not have.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN, tickstorm } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-serve-empty-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FREE_PORTS = ['--market-data-port', '0', '--execution-engine-port', '0', '--risk-manager-port', '0'];

test('serve: empty TICKSTORM_* variables count as unset (the defaults apply)', {
  timeout: 60_000,
}, async () => {
  const child = spawn(process.execPath, [BIN, 'serve', ...FREE_PORTS, '--api-port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TICKSTORM_HOST: '',
      TICKSTORM_DATA_DIR: '',
      TICKSTORM_DURABILITY: '',
      TICKSTORM_LOG_LEVEL: '',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('stops gracefully')) resolve();
      });
      child.on('close', (code) => reject(new Error(`serve exited ${code} before it started: ${stderr}`)));
    });
    assert.match(stdout, /^api {15}http:\/\/127\.0\.0\.1:\d+/m, 'the default host');
    assert.ok(existsSync(join(dir, 'data', 'input-log-0.bin')), 'the default data dir, ./data');
    assert.match(stderr, /"level":"info"/, 'the default log level');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
});

test('serve: a bad TICKSTORM_LOG_LEVEL is named as the variable, exit 2', async () => {
  const r = await tickstorm(
    ['serve', ...FREE_PORTS, '--api-port', '0'],
    { TICKSTORM_LOG_LEVEL: 'loud' },
    dir,
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /TICKSTORM_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "loud"/,
  );
  const flag = await tickstorm(['serve', '--log-level', 'loud'], undefined, dir);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--log-level must be one of/);
});
