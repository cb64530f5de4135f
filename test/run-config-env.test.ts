/**
 * `tickstorm run` flags from TICKSTORM_* variables and tickstorm.config.json (cwd or
 * --config-file): flags win over the environment, the environment over the file; bad values
 * exit 104 naming the variable or the file's key. Also `tickstorm --version`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BIN } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('TICKSTORM_')),
    );
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...clean, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const r = await cli(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), pkg.version);
});

test('file < env < flag, each naming its source when wrong', async () => {
  writeFileSync(
    join(dir, 'tickstorm.config.json'),
    JSON.stringify({ workers: 'zero', rate: 'abc', 'no-watch': true }),
  );
  const a = await cli(['run', 'order-stress']);
  assert.equal(a.code, 104, a.stderr);
  assert.match(a.stderr, /--workers must be a positive integer or auto \(got 'zero'\)/);
  assert.match(a.stderr, /--rate/);

  // env wins over the file (workers fixed), the file still gives rate
  const b = await cli(['run', 'order-stress'], { TICKSTORM_WORKERS: '1' });
  assert.equal(b.code, 104, b.stderr);
  assert.doesNotMatch(b.stderr, /--workers/);
  assert.match(b.stderr, /--rate/);

  // the flag wins over env and file; the run then fails only at the unreachable target (exit 1)
  const c = await cli(['run', 'order-stress', '--rate', '5', '--orders-url', 'http://127.0.0.1:9'], {
    TICKSTORM_WORKERS: '1',
    TICKSTORM_RATE: 'nope',
  });
  assert.equal(c.code, 1, c.stderr);
  assert.match(c.stderr, /cannot reach the target/);

  const d = await cli(['run', 'order-stress'], {
    TICKSTORM_WORKERS: '1',
    TICKSTORM_RATE: '5',
    TICKSTORM_BENCH: 'maybe',
  });
  assert.equal(d.code, 104);
  assert.match(d.stderr, /TICKSTORM_BENCH: expected true or false/);
});

test('--config-file FILE: unknown keys and bad JSON exit 104 naming the file', async () => {
  writeFileSync(join(dir, 'other.json'), JSON.stringify({ 'orders-url': 'http://127.0.0.1:9', bogus: 1 }));
  const a = await cli(['run', 'order-stress', '--config-file', 'other.json']);
  assert.equal(a.code, 104);
  assert.match(a.stderr, /--config-file other\.json: "bogus" is not a run flag/);
  writeFileSync(join(dir, 'bad.json'), '{');
  const b = await cli(['run', 'order-stress', '--config-file', 'bad.json']);
  assert.equal(b.code, 104);
  assert.match(b.stderr, /not valid JSON/);
});
