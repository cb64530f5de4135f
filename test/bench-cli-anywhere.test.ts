/**
 * `tickstorm bench` from a directory outside the repository (as `npx tickstorm bench` in a
 * project of one's own, or `start`/`run --bench` there): the benchmark child finds its loader
 * (tsx) from the CLI, not from the working directory. Before, the child failed with
 * ERR_MODULE_NOT_FOUND ('tsx') and the command exited 1 with no table.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-bench-anywhere-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('bench runs from any directory and writes its rows', async () => {
  const r = await tickstorm(
    ['bench', '--ops', '10000', '--runs', '1', '--json', 'bench.json'],
    undefined,
    dir,
  );
  // 0 or 1 (a row over its target on a busy machine); the rows must be there either way
  assert.doesNotMatch(r.stderr, /ERR_MODULE_NOT_FOUND|benchmark process exited/, r.stderr);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  assert.match(r.stdout, /### Critical Path Targets/);
  const file = join(dir, 'bench.json');
  assert.ok(existsSync(file), 'bench.json written in the working directory');
  const rows = (JSON.parse(readFileSync(file, 'utf8')) as { results: { id: string }[] }).results;
  assert.deepEqual(
    rows.map((x) => x.id).sort(),
    ['order_book_update', 'order_creation', 'order_routing', 'risk_check'].sort(),
  );
});
