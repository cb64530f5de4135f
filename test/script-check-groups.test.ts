/**
 * As in k6, a check belongs to its group(): the same name in two groups is two checks. The
 * printed summary shows them under `█ GROUP`, handleSummary's data nests them in
 * root_group.groups (paths `::outer::inner::name`, ids md5 of the path), --summary-export keys
 * them by name in root_group.groups, and textSummary() prints the same tree.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-check-groups-');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

test('checks by group: the summary, handleSummary’s root_group, --summary-export and textSummary', async () => {
  const f = t.script(
    'groups.js',
    `import http from 'k6/http';
import { check, group } from 'k6';
import { textSummary } from 'https://jslib.k6.io/k6-summary/0.0.2/index.js';
export const options = { iterations: 2 };
export default async function () {
  check(1, { top: () => true });
  await group('catalog', async () => {
    const r = await http.get('$URL/item');
    check(r, { 'is 200': (x) => x.status === 200 });
    await group('detail', async () => {
      check(r, { 'is 200': () => false });
    });
  });
}
export function handleSummary(data) {
  return { '${t.dir}/data.json': JSON.stringify(data), stdout: textSummary(data, { enableColors: false }) };
}
`,
  );
  const file = join(t.dir, 'export.json');
  const r = await run(['run', f, '--summary-export', file]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  // textSummary's tree: the top's check, then each group indented under its █ line
  assert.match(
    r.stdout,
    /✓ top\n\n\s+█ catalog\n\n\s+✓ is 200\n\n\s+█ detail\n\n\s+✗ is 200\n\s+↳ {2}0% — ✓ 0 \/ ✗ 2/,
  );
  const data = JSON.parse(readFileSync(join(t.dir, 'data.json'), 'utf8'));
  const g = data.root_group;
  assert.deepEqual(
    g.checks.map((c: Record<string, unknown>) => [c.name, c.path, c.passes, c.fails]),
    [['top', '::top', 2, 0]],
  );
  const catalog = g.groups[0];
  assert.deepEqual([catalog.name, catalog.path, catalog.id], ['catalog', '::catalog', md5('::catalog')]);
  assert.deepEqual(
    catalog.checks.map((c: Record<string, unknown>) => [c.name, c.path, c.id, c.passes, c.fails]),
    [['is 200', '::catalog::is 200', md5('::catalog::is 200'), 2, 0]],
  );
  const detail = catalog.groups[0];
  assert.equal(detail.path, '::catalog::detail');
  assert.deepEqual(
    detail.checks.map((c: Record<string, unknown>) => [c.name, c.path, c.passes, c.fails]),
    [['is 200', '::catalog::detail::is 200', 0, 2]],
  );
  assert.deepEqual(data.metrics.checks.values, { rate: 4 / 6, passes: 4, fails: 2 });
  const x = JSON.parse(readFileSync(file, 'utf8')).root_group;
  assert.deepEqual(Object.keys(x.checks), ['top']);
  assert.equal(x.groups.catalog.checks['is 200'].passes, 2);
  assert.equal(x.groups.catalog.groups.detail.checks['is 200'].fails, 2);
  assert.equal(x.groups.catalog.groups.detail.path, '::catalog::detail');
});

test('the printed summary lists a group’s checks under █ GROUP', async () => {
  const f = t.script(
    'printed.js',
    `import { check, group } from 'k6';
export const options = { iterations: 1 };
export default async function () {
  check(1, { top: () => true });
  await group('login', async () => { check(1, { 'token ok': () => true }); });
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, / {2}✓ top\n\n {2}█ login\n\n {4}✓ token ok\n/);
});
