/**
 * Where a script's error is: a built-in the script called at load time that threw (open() of a
 * missing file) names the script's line, as a throw of its own does; an iteration's error (the
 * run goes on, as in k6) names the script's file and line beside its message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-error-places-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("open() of a missing file at load time: 107, the message and the script's line", async () => {
  const f = join(dir, 'open.js');
  writeFileSync(
    f,
    "import http from 'k6/http';\nconst cfg = JSON.parse(open('./missing.json'));\nexport default async function () {}\n",
  );
  const r = await tickstorm(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(r.stderr, /ENOENT: no such file or directory, open '.*missing\.json'/);
  // before, the lab's frames cut the trace before the script's: no place at all
  assert.match(r.stderr, /open\.js:2:\d+/);
});

test("an iteration's error names the script's file and line", async () => {
  const f = join(dir, 'iter.js');
  writeFileSync(
    f,
    'export const options = { iterations: 1 };\nfunction helper(x) {\n  return x.foo.bar;\n}\nexport default async function () {\n  helper({});\n}\n',
  );
  const r = await tickstorm(['run', f]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /iteration error: Cannot read properties of undefined \(reading 'bar'\) at helper \(\S*iter\.js:3:\d+\)/,
  );
});

test("setup() throwing: 107 with the script's frames, not the lab's around them", async () => {
  const f = join(dir, 'setup.js');
  writeFileSync(
    f,
    "export async function setup() { helper(); }\nfunction helper() { throw new Error('no login'); }\nexport default async function () {}\n",
  );
  const r = await tickstorm(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(
    r.stderr,
    /setup\(\) threw: Error: no login\n\s+at helper \(\S*setup\.js:2:\d+\)\n\s+at setup \(\S*setup\.js:1:\d+\)/,
  );
  // before, the lifecycle runner's and the CLI's frames followed (lifecycle.ts, run-script-command.ts)
  assert.doesNotMatch(r.stderr, /lifecycle\.ts|run-script-command\.ts|script-load\.ts/);
});
