/**
 * k6 shows in its end-of-test summary only the metrics that had samples: a script without a
 * check() has no `checks` line (nor `dropped_iterations` when none was dropped), in the text,
 * in --json's metrics and in handleSummary's data; a threshold on one still shows it. And, as
 * in k6, options.summaryTrendStats chooses the trends' figures the text summary shows.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-summary-observed-');

test('no check(), nothing dropped: no checks or dropped_iterations line, in the text or the data', async () => {
  const f = t.script(
    'nochecks.js',
    `import http from 'k6/http';
export const options = { vus: 1, iterations: 2 };
export default async function () { await http.get('$URL/plain'); }
`,
  );
  const json = join(t.dir, 'nochecks.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /http_reqs\.+: 2 /);
  // data in k6's units
  assert.match(r.stdout, /data_received\.+: 4 B {2}\d+(\.\d+)? (B|kB)\/s/);
  assert.doesNotMatch(r.stdout, /checks\.+:/);
  assert.doesNotMatch(r.stdout, /dropped_iterations\.+:/);
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  assert.equal(m.checks, undefined);
  assert.equal(m.dropped_iterations, undefined);
  assert.equal(m.http_reqs.values.count, 2);
});

test('a threshold on checks shows it even without a check(), as k6 does', async () => {
  const f = t.script(
    'checks-threshold.js',
    `import http from 'k6/http';
export const options = { vus: 1, iterations: 1, thresholds: { checks: ['rate>=0'] } };
export default async function () { await http.get('$URL/plain'); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /✓ checks\.+: 0\.00% {2}✓ 0 {2}✗ 0/);
});

test('a check() shows its line', async () => {
  const f = t.script(
    'withcheck.js',
    `import http from 'k6/http';
import { check } from 'k6';
export const options = { vus: 1, iterations: 2 };
export default async function () { check(await http.get('$URL/plain'), { ok: (r) => r.status === 200 }); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /checks\.+: 100\.00% {2}✓ 2 {2}✗ 0/);
});

test('options.summaryTrendStats chooses the figures of each trend in the text summary, in its order', async () => {
  const f = t.script(
    'stats.js',
    `import http from 'k6/http';
export const options = { vus: 1, iterations: 3, summaryTrendStats: ['avg', 'p(99.9)', 'count'] };
export default async function () { await http.get('$URL/plain'); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /http_req_duration\.+: avg=[\d.]+m?s p\(99\.9\)=[\d.]+m?s count=3$/m);
  assert.doesNotMatch(r.stdout, /http_req_duration\.+: .*med=/);
});

test('http_req_duration{expected_response:true} is shown under http_req_duration and in the data, as k6 always shows it', async () => {
  const f = t.script(
    'expected.js',
    `import http from 'k6/http';
export const options = { vus: 1, iterations: 2 };
export default async function () {
  await http.get('$URL/plain');
  await http.get('$URL/fail');
}
export function handleSummary(data) {
  const e = data.metrics['http_req_duration{expected_response:true}'];
  return { stdout: 'EXPECTED ' + e.type + ' ' + e.contains + ' ' + Object.keys(e.values).join(',') + '\\n' };
}
`,
  );
  const json = join(t.dir, 'expected.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^EXPECTED trend time avg,min,med,max,p\(90\),p\(95\)$/m);
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  assert.equal(m.http_req_duration.values.count, 4);
  assert.equal(m['http_req_duration{expected_response:true}'].values.count, 2, 'the two 200s, not the 500s');
  // the lab's own summary (no handleSummary): the line under its metric
  const plain = t.script(
    'expected-plain.js',
    `import http from 'k6/http';
export const options = { vus: 1, iterations: 2 };
export default async function () { await http.get('$URL/plain'); await http.get('$URL/fail'); }
`,
  );
  const p = await run(['run', plain]);
  assert.equal(p.code, 0, p.stderr + p.stdout);
  assert.match(
    p.stdout,
    /http_req_duration\.+: avg=.*count=4\n {6}\{ expected_response:true \}\.+: avg=.*count=2$/m,
  );
});
