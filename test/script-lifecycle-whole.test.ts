/**
 * setup()'s and teardown()'s requests, checks and metrics count in the test's metrics (as k6
 * counts them) wherever the run's figures go, not only in a single process's summary: a
 * `run --master` that ran them (its workers ran the scenarios) checks its thresholds on the
 * same figures as one process that ran it all; `tickstorm merge` of reports that carry them
 * keeps them (and a merged report merged again); `--out prometheus` serves them under the
 * scenario labels '(setup)' and '(teardown)'. Before, each of the three left them out.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm as run } from './support/cli.ts';
import { LIFECYCLE_HEAD, LIFECYCLE_SETUP } from './support/lifecycle-script.ts';
import { metricsUrl, total } from './support/prom-scrape.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-lifecycle-whole-');
const { start, stopAll } = trackedTickstorm();
afterEach(stopAll);

/** setup(): 1 request, 1 check, made +1; 2 iterations of 1 request; teardown(): 2 requests, 1 check, made +1. */
const SCRIPT = `${LIFECYCLE_HEAD}export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 2 } },
  thresholds: {
    http_reqs: ['count==5'],
    'http_reqs{scenario:s}': ['count==2'],
    'http_req_duration{group:::setup}': ['count==1'],
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    made: ['count==2'],
  },
};
${LIFECYCLE_SETUP}export default async function () {
  await http.get('$URL/it');
}
export async function teardown() {
  await http.get('$URL/t1');
  check(await http.get('$URL/t2'), { 'teardown ok': (x) => x.status === 200 });
  made.add(1);
}
`;

type Row = { metric: string; threshold: string; actual: number; ok: boolean };
const rows = (section: { thresholds: Row[] }) =>
  section.thresholds.map((r) => [r.metric, r.threshold, r.actual, r.ok]);
const EXPECTED = [
  ['http_reqs', 'count==5', 5, true],
  ['http_reqs{scenario:s}', 'count==2', 2, true],
  ['http_req_duration{group:::setup}', 'count==1', 1, true],
  ['http_req_failed', 'rate==0', 0, true],
  ['checks', 'rate==1', 1, true],
  ['made', 'count==2', 2, true],
];

/** A single-process run's --json report (its script section is `scriptMetrics`). */
async function singleRun(name: string): Promise<string> {
  const json = join(t.dir, `${name}.json`);
  const r = await run(['run', t.script(`${name}.js`, SCRIPT), '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(rows(JSON.parse(readFileSync(json, 'utf8')).scriptMetrics), EXPECTED);
  return json;
}

const part = (section: { scenarios: { scenario: string; entries?: { requests: number }[] }[] }, s: string) =>
  section.scenarios.find((x) => x.scenario === s)?.entries?.reduce((a, e) => a + e.requests, 0);

test('run --master with two workers: the merged whole counts setup() and teardown() as one process does', async () => {
  const f = t.script('master.js', SCRIPT);
  const json = join(t.dir, 'master.json');
  const exported = join(t.dir, 'master-export.json');
  const m = start([
    ...['run', f, '--master', '--expect-workers', '2', '--master-bind-port', '0'],
    ...['--json', json, '--summary-export', exported, '--csv', join(t.dir, 'master')],
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(rows(report.script), EXPECTED);
  assert.equal(part(report.script, '(setup)'), 1);
  assert.equal(part(report.script, '(teardown)'), 2);
  assert.match(m.stdout(), /http_reqs\.*: 5 /);
  // its --json totals and --csv Aggregated count them too (test/script-lifecycle-reports.test.ts)
  assert.equal(report.requests, 5);
  const stats = readFileSync(join(t.dir, 'master_stats.csv'), 'utf8').trim().split('\r\n');
  assert.match(stats.at(-1) ?? '', /^,Aggregated,5,0,/);
  assert.match(m.stdout(), /█ setup\s+✓ setup ok/);
  const e = JSON.parse(readFileSync(exported, 'utf8'));
  assert.equal(e.metrics.http_reqs.count, 5);
  assert.deepEqual(Object.keys(e.root_group.groups), ['setup', 'teardown']);
});

test('tickstorm merge keeps them: one report merged alone is the run, a merged report merged with another run adds them', async () => {
  const json = await singleRun('single');
  const merged = join(t.dir, 'merged.json');
  const r = await run(['merge', json, '--json', merged]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const once = JSON.parse(readFileSync(merged, 'utf8'));
  assert.deepEqual(rows(once.script), EXPECTED);
  assert.equal(part(once.script, '(teardown)'), 2);
  // the merged report with the run it holds: the same run twice, refused (104)
  const same = await run(['merge', merged, json]);
  assert.equal(same.code, 104, same.stderr + same.stdout);
  assert.match(same.stderr, /holds the same run as/);
  // the merged report with another run: twice everything (the counts' thresholds now fail)
  const twice = await run(['merge', merged, await singleRun('single-again')]);
  assert.equal(twice.code, 99, twice.stderr + twice.stdout);
  assert.match(twice.stdout, /http_reqs: count==5 \(actual 10\)/);
  assert.match(twice.stdout, /made: count==2 \(actual 4\)/);
  assert.match(twice.stdout, /checks: rate==1 \(actual 1\)/);
  // a report whose setup() requests are not a list of requests, or lack their histogram: 104, named
  const doc = JSON.parse(readFileSync(json, 'utf8'));
  const setup = doc.scriptMetrics.scenarios.find((x: { scenario: string }) => x.scenario === '(setup)');
  for (const [name, entries, why] of [
    ['bad-entries.json', 'x', /bad-entries\.json: its script metrics section has "entries" of \(setup\)/],
    [
      'no-histogram.json',
      [{ ...setup.entries[0], histogram: undefined }],
      /no-histogram\.json: .*no encoded histogram/,
    ],
  ] as const) {
    const bad = join(t.dir, name);
    writeFileSync(
      bad,
      JSON.stringify({
        ...doc,
        scriptMetrics: {
          ...doc.scriptMetrics,
          scenarios: doc.scriptMetrics.scenarios.map((x: { scenario: string }) =>
            x === setup ? { ...setup, entries } : x,
          ),
        },
      }),
    );
    const r104 = await run(['merge', bad]);
    assert.equal(r104.code, 104, r104.stderr + r104.stdout);
    assert.match(r104.stderr, why);
  }
});

test('--out prometheus: setup()’s and teardown()’s requests, latencies, checks and metrics under their own scenario label', async () => {
  // setup()'s request is answered once /metrics was scraped twice: a regular scraper, whose
  // last scrape (after teardown()) the generator waits for
  let release = () => {};
  const scraped = new Promise<void>((r) => {
    release = r;
  });
  const gate = await startServer((req, res) => {
    req.resume();
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    };
    if (req.url === '/st') void scraped.then(answer);
    else answer();
  });
  try {
    const text = SCRIPT.replaceAll('$URL', gate.url.replace(/\/$/, ''));
    const w = start(['run', t.script('prom.js', text), '--out', 'prometheus=0']);
    const url = await metricsUrl(w);
    const texts: string[] = [];
    for (;;) {
      const got = await fetch(url).then(
        (r) => r.text(),
        () => null,
      );
      if (got === null) break;
      texts.push(got);
      if (texts.length === 2) release();
      await new Promise((r) => setTimeout(r, 100));
    }
    const x = await w.exited;
    assert.equal(x.code, 0, w.stdout() + w.stderr());
    const last = texts.at(-1) ?? '';
    const req = (scenario: string) => total(last, 'loadlab_requests_total', { scenario });
    assert.deepEqual([req('(setup)'), req('s'), req('(teardown)')], [1, 2, 2], last);
    assert.equal(total(last, 'loadlab_requests_total'), 5, 'k6’s http_reqs');
    assert.equal(total(last, 'loadlab_request_failures_total', { scenario: '(teardown)' }), 0);
    const count = (scenario: string) => total(last, 'loadlab_request_duration_seconds_count', { scenario });
    assert.deepEqual([count('(setup)'), count('(teardown)')], [1, 2]);
    assert.equal(
      total(last, 'loadlab_checks_total', { scenario: '(setup)', check: 'setup ok', result: 'pass' }),
      1,
    );
    assert.equal(
      total(last, 'loadlab_checks_total', { scenario: '(teardown)', check: 'teardown ok', result: 'pass' }),
      1,
    );
    assert.equal(total(last, 'loadlab_script_made_total'), 2);
  } finally {
    release();
    await gate.close();
  }
});
