/**
 * makeDir (util/make-dir.ts): `mkdir -p` that ends. Node 20's recursive mkdirSync spins
 * forever on a path whose parent exists but takes no new directory (/proc/nope); makeDir
 * throws ENOENT there, and otherwise behaves as `mkdir -p`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAKE_DIR = fileURLToPath(new URL('../src/util/make-dir.ts', import.meta.url));

/** makeDir(dir) in a child, so that a call that never returns fails the test instead of hanging it. */
function inChild(dir: string): Promise<string> {
  const code = `import(${JSON.stringify(MAKE_DIR)}).then((m) => { try { m.makeDir(${JSON.stringify(dir)}); console.log('ok'); } catch (e) { console.log(e.code); } })`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`makeDir(${dir}) did not return within 10 s`));
    }, 10_000);
    child.once('close', () => {
      clearTimeout(timer);
      resolve(out.trim());
    });
  });
}

describe('makeDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'make-dir-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a path that cannot be created throws ENOENT instead of spinning', { timeout: 30_000 }, async () => {
    assert.equal(await inChild('/proc/nope'), 'ENOENT');
    assert.equal(await inChild('/proc/nope/a/b'), 'ENOENT');
  });

  test('creates missing parents; an existing directory is fine; a file in the way throws', async () => {
    const deep = join(root, 'a', 'b', 'c');
    assert.equal(await inChild(deep), 'ok');
    assert.ok(statSync(deep).isDirectory());
    assert.equal(await inChild(join(root, 'a')), 'ok');
    const file = join(root, 'f');
    writeFileSync(file, 'x');
    assert.equal(await inChild(file), 'EEXIST');
    assert.equal(await inChild(join(file, 'below')), 'ENOTDIR');
  });
});
