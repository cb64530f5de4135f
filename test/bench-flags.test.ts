/**
 * Every standalone bench script refuses a flag it does not know before doing any work (exit 2,
 * the flag named on stderr with the list of its flags) and lists its flags on --help (exit 0).
 * The scripts: every *.bench.ts under bench/ and packages/trading/bench/, and the entries there
 * that take flags.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH_DIRS = ['bench', 'packages/trading/bench'];
const ENTRIES = [
  'packages/trading/bench/python-clients.ts',
  'packages/trading/bench/critical-path-runner.ts',
  'packages/trading/bench/market-data-service-entry.ts',
];
const SCRIPTS = [
  ...BENCH_DIRS.flatMap((d) =>
    readdirSync(join(ROOT, d))
      .filter((f) => f.endsWith('.bench.ts'))
      .sort()
      .map((f) => `${d}/${f}`),
  ),
  ...ENTRIES,
];
/** Far above the start-up of a script that exits at once; a script that runs instead is killed. */
const TIMEOUT_MS = 45_000;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx SCRIPT ...args` from the checkout; kills its process group on timeout. */
function runScript(script: string, args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
      stderr += `\n[killed after ${TIMEOUT_MS} ms: the script ran instead of exiting]`;
    }, TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bench scripts: strict flags', { concurrency: 3 }, () => {
  it('finds the bench scripts', () => {
    assert.ok(SCRIPTS.length >= 20, SCRIPTS.join(', '));
  });

  for (const script of SCRIPTS) {
    it(`${script}: --bogus-flag exits 2 naming it; --help exits 0 listing the flags`, async () => {
      const [bad, help] = await Promise.all([
        runScript(script, ['--bogus-flag']),
        runScript(script, ['--help']),
      ]);

      assert.equal(bad.code, 2, `exit ${bad.code}; stderr: ${bad.stderr}`);
      assert.equal(bad.stdout, '', 'nothing measured or printed on stdout');
      const m = /^(\S+): unknown flag --bogus-flag \(flags: ([^)]*)\)\n$/.exec(bad.stderr);
      assert.ok(m, `stderr: ${bad.stderr}`);
      assert.equal(m[1], script);
      const flags = m[2].split(', ');
      assert.ok(flags.includes('--help'), m[2]);

      assert.equal(help.code, 0, `exit ${help.code}; stderr: ${help.stderr}`);
      assert.ok(help.stdout.startsWith(`Usage: node --import tsx ${script} [flags]\n`), help.stdout);
      const listed = [...help.stdout.matchAll(/^ {2}(--[a-z][a-z0-9-]*)/gm)].map((x) => x[1]);
      assert.deepEqual(listed, flags, 'the flags --help lists are the ones the error names');
    });
  }
});
