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
  // k6's `version` command: the same version, with the runtime
  const v = await cli(['version']);
  assert.equal(v.code, 0);
  assert.equal(
    v.stdout.trim(),
    `tickstorm ${pkg.version} (node ${process.version}, ${process.platform}/${process.arch})`,
  );
});

test('file < env < flag, each naming its source when wrong', async () => {
  writeFileSync(
    join(dir, 'tickstorm.config.json'),
    JSON.stringify({ workers: 'zero', rate: 'abc', 'no-watch': true }),
  );
  const a = await cli(['run', 'order-stress']);
  assert.equal(a.code, 104, a.stderr);
  assert.match(
    a.stderr,
    /--workers \(from .*tickstorm\.config\.json: "workers"\) must be a positive integer or auto \(got 'zero'\)/,
  );
  assert.match(a.stderr, /--rate \(from .*tickstorm\.config\.json: "rate"\) must be a number/);

  // env wins over the file (workers fixed), the file still gives rate
  const b = await cli(['run', 'order-stress'], { TICKSTORM_WORKERS: '1' });
  assert.equal(b.code, 104, b.stderr);
  assert.doesNotMatch(b.stderr, /--workers/);
  assert.match(b.stderr, /--rate/);
  const e = await cli(['run', 'order-stress'], { TICKSTORM_WORKERS: 'x', TICKSTORM_METRICS_PORT: '70000' });
  assert.equal(e.code, 104, e.stderr);
  assert.match(e.stderr, /--workers \(from TICKSTORM_WORKERS\) must be/);
  assert.match(e.stderr, /--metrics-port \(from TICKSTORM_METRICS_PORT\) must be a port number/);
  assert.match(e.stderr, /--rate \(from .*"rate"\) must be a number/, 'reported with the rest, at once');

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

test('every problem at once: --out prometheus, --metrics-port and --execution-segment with the rest', async () => {
  writeFileSync(join(dir, 'tickstorm.config.json'), '{}');
  const a = await cli([
    'run',
    'order-stress',
    '--rate',
    'abc',
    '--metrics-port',
    '99999',
    '--execution-segment',
    '5/3',
    '--out',
    'prometheus=abc',
  ]);
  assert.equal(a.code, 104, a.stderr);
  assert.match(a.stderr, /invalid configuration \(4 problems\)/);
  for (const flag of ['--rate', '--metrics-port', '--execution-segment', '--out prometheus=abc'])
    assert.match(a.stderr, new RegExp(`- ${flag}`), flag);
});

test('every problem at once: a config file key that is no flag and a bad TICKSTORM_* value are listed with the command line’s, the script’s -e and --out too', async () => {
  writeFileSync(join(dir, 'tickstorm.config.json'), JSON.stringify({ bogus: 1, iterations: 'x' }));
  const f = join(dir, 'never.js');
  writeFileSync(f, "throw new Error('the script must not load');\nexport default async function () {}\n");
  const a = await cli(['run', f, '--nope', '-d', 'soon', '-e', 'NOEQUALS', '--out', 'bogus'], {
    TICKSTORM_INSECURE: 'maybe',
  });
  assert.equal(a.code, 104, a.stderr);
  for (const p of [
    /tickstorm\.config\.json: "bogus" is not a run flag/,
    /TICKSTORM_INSECURE: expected true or false \(got "maybe"\)/,
    /--iterations \(from .*tickstorm\.config\.json: "iterations"\) must be a positive integer/,
    /unknown option '--nope'/,
    /--duration must be a duration like 30s/,
    /--env 'NOEQUALS': expected KEY=VALUE/,
    /--out must be json=FILE or prometheus\[=PORT\] \(got 'bogus'\)/,
  ])
    assert.match(a.stderr, p);
  assert.match(a.stderr, /invalid configuration \(7 problems\)/);
  assert.doesNotMatch(a.stderr, /must not load/);
  // the built-in scenarios' run lists them together too
  const b = await cli(['run', 'order-stress', '--rate', 'abc']);
  assert.equal(b.code, 104, b.stderr);
  assert.match(b.stderr, /"bogus" is not a run flag/);
  assert.match(b.stderr, /- --rate must be a number/);
  writeFileSync(join(dir, 'tickstorm.config.json'), '{}');
});

test('a script run takes --workers from the environment and the file; their scenario flags are not its problem', async () => {
  const f = join(dir, 'noop.js');
  writeFileSync(
    f,
    'export const options = { vus: 1, iterations: 1 };\nexport default async function () {}\n',
  );
  writeFileSync(join(dir, 'tickstorm.config.json'), '{}');
  const a = await cli(['run', f], { TICKSTORM_WORKERS: 'abc' });
  assert.equal(a.code, 104, a.stderr);
  assert.match(a.stderr, /--workers \(from TICKSTORM_WORKERS\) must be a positive integer or auto/);
  // a shared tickstorm.config.json with the built-in scenarios' rate and target: a script runs
  // ("duration" is also k6's --duration for a script: script-cli-shortcuts-sources.test.ts)
  writeFileSync(
    join(dir, 'tickstorm.config.json'),
    JSON.stringify({ rate: 500, timeout: '5s', 'orders-url': 'http://127.0.0.1:9' }),
  );
  const json = join(dir, 'noop.json');
  const b = await cli(['run', f, '--json', json], { TICKSTORM_RATE: '100' });
  assert.equal(b.code, 0, b.stderr);
  assert.equal(JSON.parse(readFileSync(json, 'utf8')).metrics.iterations.values.count, 1);
  // on the command line, a scenario flag is still a mistake
  const c = await cli(['run', f, '--rate', '5']);
  assert.equal(c.code, 104, c.stderr);
  assert.match(c.stderr, /--rate is a scenario parameter/);
});

test('a flag commander cannot parse: the error and a pointer to --help, not the whole help', async () => {
  for (const args of [
    ['run', '--master-port'],
    ['http', '--nope'],
    ['serve', '--bogus'],
  ]) {
    const r = await cli(args);
    // run and http: k6's 104; serve: 2, its code for a bad configuration
    assert.equal(r.code, args[0] === 'serve' ? 2 : 104, args.join(' '));
    const lines = r.stderr.trim().split('\n');
    assert.match(
      lines[0],
      /^error: (option '--master-port <port>' argument missing|unknown option '--(nope|bogus)')/,
    );
    assert.equal(lines.at(-1), "(add --help for the command's options)");
    assert.ok(lines.length <= 3, `${args.join(' ')}: ${lines.length} lines of stderr`);
  }
});
