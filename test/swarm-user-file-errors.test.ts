/**
 * A user file that does not load says where (a syntax error's line, a throw's frame), as
 * `run FILE` does, and a Python locustfile is named as such; every one exits 104 before a user
 * runs. Before, an unclosed brace read 'Parse error FILE:1:1', a throw had no place, and a
 * .py file read 'Unknown file extension'.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-user-file-errors-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const swarm = (file: string) =>
  run(['swarm', '-f', file, '--headless', '-u', '1', '-r', '1', '-t', '1s', '-H', 'http://127.0.0.1:9']);

test('a user file that does not load names the place; a Python locustfile is named', async () => {
  const files = {
    syntax: 'users.js',
    throws: 'throws.js',
    python: 'locustfile.py',
  };
  writeFileSync(
    join(dir, files.syntax),
    `import { HttpUser } from '@tickstorm/loadlab/swarm';\nexport class A extends HttpUser {\n  async t() { const x = {; }\n}\n`,
  );
  writeFileSync(
    join(dir, files.throws),
    `import { HttpUser } from '@tickstorm/loadlab/swarm';\nthrow new Error('init boom');\n`,
  );
  writeFileSync(join(dir, files.python), 'from locust import HttpUser\nclass A(HttpUser):\n    pass\n');
  const [syntax, throws, python] = await Promise.all(Object.values(files).map((f) => swarm(join(dir, f))));
  for (const r of [syntax, throws, python]) assert.equal(r.code, 104, r.stderr);
  assert.match(syntax.stderr, /users\.js:3\n {2}async t\(\) \{ const x = \{; \}/);
  assert.match(syntax.stderr, /SyntaxError: Unexpected token ';'/);
  assert.doesNotMatch(syntax.stderr, /Parse error/);
  assert.match(throws.stderr, /Error: init boom\n\s+at file:\/\/.*throws\.js:2:7/);
  assert.match(python.stderr, /-f\/--locustfile: .*locustfile\.py is a Python locustfile/);
  assert.doesNotMatch(python.stderr, /Unknown file extension/);
});

test("Locust's -f DIR and -f a.ts,b.ts are named as such, with the one-file way (104)", async () => {
  const a = join(dir, 'a.js');
  writeFileSync(
    a,
    `import { HttpUser } from '@tickstorm/loadlab/swarm';\nexport class A extends HttpUser {}\n`,
  );
  const [asDir, asList] = await Promise.all([swarm(dir), swarm(`${a},${a}`)]);
  for (const r of [asDir, asList]) {
    assert.equal(r.code, 104, r.stderr);
    assert.match(r.stderr, /re-exports their classes \(export \{ Reader \} from '\.\/readers\.ts';\)/);
    assert.doesNotMatch(r.stderr, /ERR_UNSUPPORTED_DIR_IMPORT|no such file/);
  }
  assert.match(asDir.stderr, /-f\/--locustfile: \S+ is a directory; swarm takes one user file/);
  assert.match(asList.stderr, /is a list of files; swarm takes one user file, not Locust's comma-separated/);
});
