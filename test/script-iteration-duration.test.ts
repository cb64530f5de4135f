/**
 * k6's iteration_duration: each iteration's time from its start to its end (an exception's
 * included), a trend in the summary, --json, --out json and the thresholds.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-iteration-duration-');

test('iteration_duration: one sample per iteration, thrown ones too, thresholds on it, streamed', async () => {
  const f = t.script(
    'iter.js',
    `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  vus: 1,
  iterations: 4,
  thresholds: { iteration_duration: ['min>=100', 'count==4'], 'iteration_duration{scenario:default}': ['max<60000'] },
};
export default async function () {
  await http.get('$URL/iter');
  await sleep(0.1);
  if (__ITER === 3) throw new Error('last one throws');
}
`,
  );
  const json = join(t.dir, 'iter.json');
  const lines = join(t.dir, 'iter.jsonl');
  const r = await run(['run', f, '--json', json, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /iteration_duration\.+: avg=\d/);
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  assert.equal(m.iteration_duration.type, 'trend');
  assert.equal(m.iteration_duration.values.count, 4);
  assert.ok(m.iteration_duration.values.min >= 100, JSON.stringify(m.iteration_duration));
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.metric === 'iteration_duration');
  assert.equal(points.filter((p) => p.type === 'Point').length, 4);
  assert.equal(points.find((p) => p.type === 'Metric').data.contains, 'time');
});

test('a threshold that iteration_duration fails is 99', async () => {
  const f = t.script(
    'iter-fail.js',
    `import { sleep } from 'k6';
export const options = { iterations: 1, thresholds: { iteration_duration: ['max<10'] } };
export default async function () { await sleep(0.05); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 99, r.stderr + r.stdout);
  assert.match(r.stdout, /✗ iteration_duration: max<10/);
});

test('handleSummary data: group_duration and iteration_duration contain time, so textSummary shows them as durations', async () => {
  const f = t.script(
    'times.js',
    `import http from 'k6/http';
import { group } from 'k6';
import { textSummary } from 'k6-summary';
export const options = { iterations: 2 };
export default async function () { await group('g', async () => { await http.get('$URL/times'); }); }
export function handleSummary(data) {
  return {
    stdout: textSummary(data, { enableColors: false }) + '\\nCONTAINS ' +
      data.metrics.group_duration.contains + ' ' + data.metrics.iteration_duration.contains + '\\n',
  };
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^CONTAINS time time$/m);
  assert.match(r.stdout, /group_duration\.+: avg=[\d.]+(µs|ms|s) /);
  assert.match(r.stdout, /iteration_duration\.+: avg=[\d.]+(µs|ms|s) /);
});
