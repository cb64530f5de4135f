/**
 * setup()'s and teardown()'s requests in `--csv` and `--html`, as `--json` counts them (k6's
 * http_reqs): with one scenario its stats hold them as rows `(setup) NAME` / `(teardown) NAME`
 * and its Aggregated counts them; with several, they are sets (and HTML sections) of their own,
 * '(setup)' and '(teardown)', and the HTML's table of requests totals http_reqs. The same from
 * `tickstorm merge` of the run's report, whose --json `requests` counts them too.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-lifecycle-reports-');

/** A stats CSV as [Type, Name, Request Count, Failure Count] rows. */
function statsRows(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .split('\r\n')
    .filter((l) => l.length > 0)
    .slice(1)
    .map((l) => l.split(',').slice(0, 4));
}

const LIFECYCLE = `export async function setup() {
  await http.get('$URL/st');
}
export async function teardown() {
  await http.get('$URL/td');
  await http.get('$URL/fail');
}`;

test('one scenario: --csv and --html count setup() and teardown() requests, their Aggregated is --json http_reqs', async () => {
  const f = t.script(
    'one.js',
    `import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 3 } } };
export default async function () {
  await http.get('$URL/it');
}
${LIFECYCLE}
`,
  );
  const json = join(t.dir, 'one.json');
  const html = join(t.dir, 'one.html');
  const prefix = join(t.dir, 'one');
  const r = await run(['run', f, '--json', json, '--csv', prefix, '--html', html, '--no-thresholds']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.requests, 6);
  assert.equal(j.metrics.http_reqs.values.count, 6);
  assert.deepEqual(statsRows(`${prefix}_stats.csv`), [
    ['GET', '(setup) /st', '1', '0'],
    ['GET', '(teardown) /fail', '1', '1'],
    ['GET', '(teardown) /td', '1', '0'],
    ['GET', '/it', '3', '0'],
    ['', 'Aggregated', '6', '1'],
  ]);
  const failures = readFileSync(`${prefix}_failures.csv`, 'utf8').split('\r\n');
  assert.match(failures[1] ?? '', /^GET,\(teardown\) \/fail,/);
  // the history is the scenario's seconds: its last Total Request Count is the scenario's 3
  const history = readFileSync(`${prefix}_stats_history.csv`, 'utf8').trim().split('\r\n');
  assert.equal(history.at(-1)!.split(',')[17], '3');
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<td>\(setup\) \/st<\/td><td class="num">1<\/td>/);
  assert.match(page, /<td>Aggregated<\/td><td class="num">6<\/td><td class="num">1<\/td>/);
  assert.match(page, /<b>6<\/b><span>requests<\/span>/);
});

test('several scenarios: (setup) and (teardown) are sets and sections of their own; the totals are http_reqs', async () => {
  const f = t.script(
    'two.js',
    `import http from 'k6/http';
export const options = {
  scenarios: {
    a: { executor: 'shared-iterations', vus: 1, iterations: 2 },
    b: { executor: 'shared-iterations', vus: 1, iterations: 1, exec: 'b' },
  },
};
export default async function () {
  await http.get('$URL/a');
}
export async function b() {
  await http.get('$URL/b');
}
${LIFECYCLE}
`,
  );
  const json = join(t.dir, 'two.json');
  const html = join(t.dir, 'two.html');
  const prefix = join(t.dir, 'two');
  const r = await run(['run', f, '--json', json, '--csv', prefix, '--html', html, '--no-thresholds']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(j.metrics.http_reqs.values.count, 6);
  const aggregated = (part: string) => statsRows(`${prefix}_${part}_stats.csv`).at(-1);
  assert.deepEqual(aggregated('a'), ['', 'Aggregated', '2', '0']);
  assert.deepEqual(aggregated('b'), ['', 'Aggregated', '1', '0']);
  assert.deepEqual(statsRows(`${prefix}_(setup)_stats.csv`), [
    ['GET', '/st', '1', '0'],
    ['', 'Aggregated', '1', '0'],
  ]);
  assert.deepEqual(aggregated('(teardown)'), ['', 'Aggregated', '2', '1']);
  for (const kind of ['stats_history', 'failures', 'exceptions'])
    assert.ok(existsSync(`${prefix}_(teardown)_${kind}.csv`), kind);
  assert.match(readFileSync(`${prefix}_(teardown)_failures.csv`, 'utf8'), /\r\nGET,\/fail,/);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<section id="scenario-\(setup\)">/);
  assert.match(page, /<section id="scenario-\(teardown\)">/);
  assert.match(page, /<td>Total \(http_reqs\)<\/td><td class="num">6<\/td><td class="num">1<\/td>/);
});

test('tickstorm merge of the run: its --json requests and --csv Aggregated still count setup() and teardown()', async () => {
  const f = t.script(
    'merged.js',
    `import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 2 } } };
export default async function () {
  await http.get('$URL/it');
}
${LIFECYCLE}
`,
  );
  const json = join(t.dir, 'part.json');
  const r = await run(['run', f, '--json', json, '--no-thresholds']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const prefix = join(t.dir, 'merged');
  const m = await run(['merge', json, '--json', join(t.dir, 'merged.json'), '--csv', prefix]);
  assert.equal(m.code, 0, m.stderr + m.stdout);
  assert.match(m.stdout, /http_reqs\.*: 5 /);
  const merged = JSON.parse(readFileSync(join(t.dir, 'merged.json'), 'utf8'));
  assert.deepEqual([merged.requests, merged.failures, merged.scenarios[0].requests], [5, 1, 2]);
  const rows = statsRows(`${prefix}_stats.csv`);
  assert.deepEqual(rows.at(-1), ['', 'Aggregated', '5', '1']);
  assert.deepEqual(rows[1], ['GET', '(teardown) /fail', '1', '1']);
  assert.match(readFileSync(`${prefix}_failures.csv`, 'utf8'), /\r\nGET,\(teardown\) \/fail,/);
  // a report whose teardown() failure rows are not failures: 104, named
  const doc = JSON.parse(readFileSync(json, 'utf8'));
  const bad = join(t.dir, 'bad-failures.json');
  doc.scriptMetrics.scenarios = doc.scriptMetrics.scenarios.map((x: { scenario: string }) =>
    x.scenario === '(teardown)' ? { ...x, failureRows: [{ method: 'GET' }] } : x,
  );
  writeFileSync(bad, JSON.stringify(doc));
  const r104 = await run(['merge', bad]);
  assert.equal(r104.code, 104, r104.stderr + r104.stdout);
  assert.match(
    r104.stderr,
    /bad-failures\.json: its script metrics section has "failureRows" of \(teardown\)/,
  );
});
