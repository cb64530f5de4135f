/**
 * `run foo.js` and `swarm -f foo.js` load foo.js itself, also when a foo.ts sits beside it
 * (the TypeScript loader's convention would otherwise take an import of `foo.js` from a
 * TypeScript module to mean `foo.ts`).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-exact-file-'));
  for (const ext of ['js', 'ts']) {
    writeFileSync(
      join(dir, `load.${ext}`),
      `export const options = { vus: 1, iterations: 1 };\nexport default function () { console.log('ran load.${ext}'); }\n`,
    );
    writeFileSync(join(dir, `users.${ext}`), `throw new Error('loaded users.${ext}');\n`);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('run FILE.js runs that file, not the .ts beside it', async () => {
  const js = await run(['run', join(dir, 'load.js')]);
  assert.equal(js.code, 0, js.stderr);
  assert.match(js.stdout, /ran load\.js/);
  assert.doesNotMatch(js.stdout, /ran load\.ts/);
  const ts = await run(['run', join(dir, 'load.ts')]);
  assert.equal(ts.code, 0, ts.stderr);
  assert.match(ts.stdout, /ran load\.ts/);
});

test('swarm -f FILE.js loads that file, not the .ts beside it', async () => {
  const r = await run(['swarm', '-f', join(dir, 'users.js'), '--headless', '-u', '1', '-t', '1s']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /loaded users\.js/);
  assert.doesNotMatch(r.stderr, /loaded users\.ts/);
});
