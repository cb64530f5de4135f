/**
 * scripts/run-tests.js from a checkout whose path has a space in it (as on many Windows and
 * macOS home folders): it finds packages/x/test/*.test.ts and runs them through tsx.
 * The copy lives in a temporary directory with this repository's node_modules linked in.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('scripts/run-tests.js', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm run tests '));
  after(() => rmSync(dir, { recursive: true, force: true }));

  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(ROOT, 'scripts', 'run-tests.js'), join(dir, 'scripts', 'run-tests.js'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'junction');
  mkdirSync(join(dir, 'packages', 'x', 'test'), { recursive: true });
  writeFileSync(
    join(dir, 'packages', 'x', 'test', 'a.test.ts'),
    "import { test } from 'node:test';\nconst n: number = 42;\ntest('typed test ran', () => {\n  if (n !== 42) throw new Error('n');\n});\n",
  );

  const run = (...args: string[]) => {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // else the child runner reports to this one
    return spawnSync(process.execPath, [join(dir, 'scripts', 'run-tests.js'), ...args], {
      cwd: tmpdir(),
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
  };

  test('runs the tests of a checkout whose path has a space', () => {
    assert.match(dir, / /);
    const r = run();
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /typed test ran/);
    assert.match(r.stdout, /pass 1/);
  });

  test('a filter matching no file exits 1 and says so', () => {
    const r = run('no-such-test');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no test files matched/);
  });
});
