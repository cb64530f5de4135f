/**
 * `--out` as a k6 user writes it: `-o json=FILE` (k6's short flag) streams as `--out` does;
 * a second `--out json=` is refused rather than the first silently dropped (only the last file
 * was written); `json=-` and a bare `json` (k6's stdout stream) are refused rather than writing
 * a file named `-`; k6's other outputs are refused with what fits instead.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-out-forms-');

const one = () =>
  t.script(
    'one.js',
    `import http from 'k6/http';
export const options = { iterations: 2 };
export default async function () { await http.get('$URL/ok'); }
`,
  );

test("-o json=FILE is k6's short --out", async () => {
  const out = join(t.dir, 'short.json');
  const r = await run(['run', one(), '-q', '-o', `json=${out}`]);
  assert.equal(r.code, 0, r.stderr);
  const points = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point' && l.metric === 'http_reqs');
  assert.equal(points.length, 2);
});

test('a second --out json=, json=- and bare json are refused (104), every problem at once', async () => {
  const a = join(t.dir, 'a.json');
  const b = join(t.dir, 'b.json');
  const r = await run(['run', one(), '-q', '--out', `json=${a}`, '--out', `json=${b}`, '--out', 'json=-']);
  assert.equal(r.code, 104, r.stderr);
  assert.match(
    r.stderr,
    /--out json=\S*b\.json: --out json= is given once a run \(it already streams to \S*a\.json\)/,
  );
  assert.match(r.stderr, /got 'json=-'\); json=FILE needs a file: k6's stream to stdout/);
  assert.ok(!existsSync(a) && !existsSync(b) && !existsSync(join(process.cwd(), '-')));
  const r2 = await run(['run', one(), '--out', 'csv=x.csv', '--out', 'json']);
  assert.equal(r2.code, 104, r2.stderr);
  assert.match(r2.stderr, /got 'csv=x\.csv'\); k6's csv output is not here: --results-csv FILE/);
  assert.match(r2.stderr, /got 'json'\); json=FILE needs a file/);
});
