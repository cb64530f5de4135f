/**
 * k6's summary flags on a script run: --summary-trend-stats and --summary-time-unit (over
 * options.summaryTrendStats / summaryTimeUnit, in the text summary and handleSummary's data),
 * --no-summary (no summary, no handleSummary(); --summary-export and the verdict stay) and
 * -q/--quiet (no progress line). Bad values are 104 naming the flag, all at once; the built-in
 * scenarios refuse the summary flags.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-summary-flags-');

const plain = () =>
  t.script(
    'plain.js',
    `import http from 'k6/http';
import { Trend } from 'k6/metrics';
const wait = new Trend('wait', true);
const size = new Trend('size');
export const options = { iterations: 4, thresholds: { wait: ['max<100'] } };
export default async function () { await http.get('$URL/s'); wait.add(12.5); size.add(1500.25); }
`,
  );

test('--summary-trend-stats chooses the trend figures of the text summary and of handleSummary data; also from TICKSTORM_*', async () => {
  const f = plain();
  const r = await run(['run', f, '--summary-trend-stats', 'avg,p(99.9),count']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /wait\.+: avg=12\.50ms p\(99\.9\)=12\.50ms count=4\s*$/m);
  // a Trend without isTime (k6's default) holds plain numbers: shown without a unit
  assert.match(r.stdout, /size\.+: avg=1500\.25 p\(99\.9\)=1500\.\d+ count=4\s*$/m);
  const out = join(t.dir, 'data.json');
  const h = t.script(
    'handled.js',
    `import { Trend } from 'k6/metrics';
const wait = new Trend('wait', true);
export const options = { iterations: 2, summaryTrendStats: ['avg'] };
export default function () { wait.add(3); }
export function handleSummary(data) {
  return { '${out.replaceAll('\\', '\\\\')}': JSON.stringify(data) };
}
`,
  );
  const e = await run(['run', h], { TICKSTORM_SUMMARY_TREND_STATS: 'min,max,p(99)' });
  assert.equal(e.code, 0, e.stderr + e.stdout);
  const data = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(Object.keys(data.metrics.wait.values).sort(), ['max', 'min', 'p(99)']);
  assert.deepEqual(data.options.summaryTrendStats, ['min', 'max', 'p(99)']);
  assert.equal(data.metrics.wait.contains, 'time', "k6's isTime: the data says it holds times");
});

test('--summary-time-unit (and options.summaryTimeUnit) sets the unit of the times in the text summary, as in k6', async () => {
  const f = plain();
  const us = await run(['run', f, '--summary-time-unit', 'us']);
  assert.equal(us.code, 0, us.stderr + us.stdout);
  assert.match(us.stdout, /wait\.+: avg=12500\.00µs min=12\d{3}\.00µs /);
  // a Trend of plain numbers has no unit to change
  assert.match(us.stdout, /size\.+: avg=1500\.25 /);
  const sec = await run(['run', f], { TICKSTORM_SUMMARY_TIME_UNIT: 's' });
  assert.equal(sec.code, 0, sec.stderr + sec.stdout);
  assert.match(sec.stdout, /wait\.+: avg=0\.01s /);
  const own = t.script(
    'own-unit.js',
    `import { Trend } from 'k6/metrics';
const wait = new Trend('wait', true);
export const options = { iterations: 2, summaryTimeUnit: 'us' };
export default function () { wait.add(3); }
`,
  );
  const o = await run(['run', own]);
  assert.equal(o.code, 0, o.stderr + o.stdout);
  assert.match(o.stdout, /wait\.+: avg=3000\.00µs /);
});

test('--no-summary: no summary and no handleSummary(), but --summary-export, the exit code and the verdict stay', async () => {
  const marker = join(t.dir, 'handled.txt');
  const exported = join(t.dir, 'export.json');
  const f = t.script(
    'failing.js',
    `import http from 'k6/http';
export const options = { iterations: 3, thresholds: { http_req_duration: ['max<0.0001'] } };
export default async function () { await http.get('$URL/n'); }
export function handleSummary() { return { '${marker.replaceAll('\\', '\\\\')}': 'called' }; }
`,
  );
  const r = await run(['run', f, '--no-summary', '--summary-export', exported]);
  assert.equal(r.code, 99, r.stderr + r.stdout);
  assert.equal(existsSync(marker), false, 'handleSummary() was not called');
  assert.doesNotMatch(r.stdout, /http_req_duration\.+:/);
  assert.match(r.stdout, /FAILED/);
  assert.equal(JSON.parse(readFileSync(exported, 'utf8')).metrics.http_reqs.count, 3);
  const shown = await run(['run', f]);
  assert.equal(existsSync(marker), true, 'without the flag handleSummary() runs');
  assert.equal(shown.code, 99);
});

test('-q/--quiet: no progress line; without it the line is printed', async () => {
  // long enough for the progress line's one-second tick, whatever the machine's load
  const f = t.script(
    'two-seconds.js',
    `import { sleep } from 'k6';
import { Trend } from 'k6/metrics';
const wait = new Trend('wait', true);
export const options = { vus: 1, duration: '2s' };
export default async function () { wait.add(12.5); await sleep(0.2); }
`,
  );
  const loud = await run(['run', f]);
  assert.match(loud.stdout + loud.stderr, /\[default\] 00:0\d/);
  const quiet = await run(['run', f, '-q']);
  assert.equal(quiet.code, 0, quiet.stderr + quiet.stdout);
  assert.doesNotMatch(quiet.stdout + quiet.stderr, /\[default\] 00:0\d/);
  assert.match(quiet.stdout, /wait\.+: avg=12\.50ms/);
});

test('bad summary flags are 104 naming each flag, all at once; the built-in scenarios refuse them', async () => {
  const f = plain();
  const r = await run(['run', f, '--summary-trend-stats', 'avg,p(101),bogus', '--summary-time-unit', 'h']);
  assert.equal(r.code, 104, r.stderr + r.stdout);
  assert.match(r.stderr, /--summary-trend-stats: 'p\(101\)' is not a trend stat/);
  assert.match(r.stderr, /--summary-trend-stats: 'bogus' is not a trend stat/);
  assert.match(r.stderr, /--summary-time-unit must be s, ms or us \(got 'h'\)/);
  const empty = await run(['run', f, '--summary-trend-stats', ',']);
  assert.equal(empty.code, 104);
  assert.match(empty.stderr, /--summary-trend-stats takes stats separated by commas/);
  const builtIn = await run(['run', 'order-stress', '--summary-time-unit', 'ms', '--no-summary']);
  assert.equal(builtIn.code, 104, builtIn.stderr + builtIn.stdout);
  assert.match(builtIn.stderr, /--summary-time-unit shapes a script's k6 summary/);
  assert.match(builtIn.stderr, /--no-summary leaves out a script's k6 summary/);
});
