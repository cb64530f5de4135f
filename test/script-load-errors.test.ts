/**
 * A script that does not load exits 107 with a message a user can act on: the error and the
 * place in the script, not the lab's or Node's loader frames.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-script-errors-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

/** No loader internals: node:internal, tsx, the resolve hook's data: URL, the lab's own files. */
function assertNoInternals(stderr: string): void {
  assert.doesNotMatch(stderr, /node:internal|node_modules|data:text|packages\/loadlab|src\/cli/, stderr);
}

test('a throw at load time shows the message and the script frame only', async () => {
  const f = script('throws.js', `export const options = {};\nthrow new Error('broken at load');\n`);
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(r.stderr, /Error: broken at load/);
  assert.match(r.stderr, /throws\.js:2:7/);
  assertNoInternals(r.stderr);
});

test('a syntax error in a .js script names its line', async () => {
  const f = script('syntax.js', `const a = 1;\nexport const options = {;\nexport default function () {}\n`);
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(r.stderr, /syntax\.js:2\nexport const options = \{;/);
  assert.match(r.stderr, /SyntaxError: Unexpected token ';'/);
  assertNoInternals(r.stderr);
});

test('a syntax error the module lexer meets first (an unclosed brace) still names its line', async () => {
  // tsx's lexer threw 'Parse error FILE:1:1' here, with no place in the script
  const f = script(
    'unclosed.js',
    `import http from 'k6/http';\nexport const options = { vus: 1, iterations: 1 };\nexport default async function () {\n  const x = {;\n}\n`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(r.stderr, /unclosed\.js:4\n {2}const x = \{;/);
  assert.match(r.stderr, /SyntaxError: Unexpected token ';'/);
  assert.doesNotMatch(r.stderr, /Parse error/);
  assertNoInternals(r.stderr);
});

test('a remote import (k6 fetches URLs) is refused by name, not by a loader error', async () => {
  const url = 'https://raw.githubusercontent.com/benc-uk/k6-reporter/main/dist/bundle.js';
  const f = script(
    'remote.js',
    `import { htmlReport } from '${url}';\nexport default async function () {}\n`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(r.stderr, new RegExp(`remote modules are not fetched: '${url.replace(/[.]/g, '\\.')}'`));
  assert.doesNotMatch(r.stderr, /ERR_UNSUPPORTED_ESM_URL_SCHEME/);
  assertNoInternals(r.stderr);
});

test('an unknown built-in module is named as such, with the ones there are', async () => {
  const f = script(
    'nomod.ts',
    `import x from 'tickstorm/grpc';\nexport default async function () { x(); }\n`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(
    r.stderr,
    /'tickstorm\/grpc' is not a built-in module \(there are: tickstorm, tickstorm\/http/,
  );
  assertNoInternals(r.stderr);
});

test('a missing package names it, without the resolver stack', async () => {
  const f = script(
    'nopkg.ts',
    `import x from 'no-such-pkg-here';\nexport default async function () { x(); }\n`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr);
  assert.match(r.stderr, /Cannot find package 'no-such-pkg-here' imported from .*nopkg\.ts/);
  assertNoInternals(r.stderr);
});

test('handleSummary() is called (no note): returning {} prints no summary at all, as in k6', async () => {
  const f = script(
    'summary.js',
    `export function handleSummary() { return {}; }
export const options = { vus: 1, iterations: 1 };
export default function () {}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /handleSummary/);
  assert.doesNotMatch(r.stdout, /iterations\.{2,}/);
  assert.match(r.stdout, /PASSED/);
});

test('run --help says every cause of 107, as docs/script-results.md does', async () => {
  const r = await run(['run', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /107 {2}a script error \(run FILE\): it does not load, throws at load time, has no default function,\n\s+setup\(\)\/teardown\(\)\/handleSummary\(\) failed, or an iteration did not await its requests/,
  );
});

test("k6's `run -` (a script from stdin) is refused by name, listed with the other problems: 104", async () => {
  const r = await run(['run', '-', '-u', '0']);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /- '-': a script from stdin \(k6's run -\) is not read; save it to a file/);
  assert.match(r.stderr, /- --vus must be a positive integer \(got '0'\)/);
  assert.doesNotMatch(r.stderr, /did you mean|unknown option|no scenario given/);
});

test('a CommonJS file (.cjs) is named as one, not taken for an unknown scenario: 104', async () => {
  const f = script('old.cjs', 'module.exports = { options: { vus: 1, iterations: 1 } };\n');
  // by path, and by a bare name in its directory (no slash: it used to read as a scenario id)
  for (const [args, cwd] of [
    [['run', f], undefined],
    [['run', basename(f)], dirname(f)],
  ] as const) {
    const r = await run([...args], undefined, cwd);
    assert.equal(r.code, 104, r.stderr);
    assert.match(
      r.stderr,
      /old\.cjs: a CommonJS file; a script is an ES module \(\.ts, \.js, \.mjs, \.mts\)/,
    );
    assert.doesNotMatch(r.stderr, /unknown scenario/);
  }
});
