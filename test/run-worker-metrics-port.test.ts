/**
 * `tickstorm run --worker --out prometheus=0` (the same as --metrics-port 0) under a master,
 * against a local server: the worker serves its own part's figures for the life of its
 * process. Scraped as Prometheus would until the endpoint goes away: the counts never go
 * back, the last scrape's request-duration histogram counts exactly the requests of the
 * master's merged report (one worker: all of them), promtool accepts the text, and the
 * exporter's final-scrape wait comes only as the worker exits, after the master's quit (the
 * report was never held back for a scrape). Bad values: 104 naming the flag, every problem
 * at once; a master's --metrics-port is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm } from './support/cli.ts';
import {
  assertPromtoolAccepts,
  firstSeen,
  metricsUrl,
  scrapeUntilGone,
  total,
} from './support/prom-scrape.ts';

let server: LocalServer;
let dir: string;
let file: string;
const { start, stopAll } = trackedTickstorm();
before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-worker-metrics-'));
  file = join(dir, 'hits.ts');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = {
  scenarios: { s: { executor: 'constant-arrival-rate', rate: 100, timeUnit: '1s', duration: '2s', preAllocatedVUs: 4 } },
};
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
}
`,
  );
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('run --worker --out prometheus=0: its own part, monotonic, closed only as the worker exits', async (t) => {
  const json = join(dir, 'merged.json');
  const m = start([
    'run',
    file,
    '--master',
    '--expect-workers',
    '1',
    '--master-bind-port',
    '0',
    '--json',
    json,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const w = start(['run', '--worker', '--master-port', port, '--out', 'prometheus=0']);
  const quit = firstSeen(w, 'stdout', /The master sent quit/);
  const waiting = firstSeen(w, 'stderr', /generator metrics: waiting up to [\d.]+ s for the last scrape/);
  const scrapes = scrapeUntilGone(await metricsUrl(w));
  const [mx, wx, texts, quitAt, waitingAt] = await Promise.all([m.exited, w.exited, scrapes, quit, waiting]);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(wx.code, 0, w.stdout() + w.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8')) as {
    requests: number;
    scenarios: { generator: { droppedIterations: number } }[];
  };
  // 200 planned on 4 VUs: a stall of the busy box finds them all busy and drops what fell due
  // meanwhile (140 of 200 ran once), counted; so the count is exact, not a share of 200 (one
  // request an iteration, every started one waited for)
  const dropped = report.scenarios[0].generator.droppedIterations;
  assert.equal(report.requests + dropped, 200, `requests ${report.requests}, dropped ${dropped}`);
  assert.ok(report.requests > 0);
  assert.ok(texts.length >= 2, 'scraped while it ran');
  const s = { scenario: 's' };
  const counts = texts.map((x) => total(x.text, 'loadlab_request_duration_seconds_count', s));
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], `scrape ${i}: monotonic`);
  assert.ok(
    counts.some((c) => c > 0 && c < report.requests),
    'scraped during the run',
  );
  const last = texts[texts.length - 1].text;
  assert.equal(counts[counts.length - 1], report.requests, 'the worker’s part is the whole here');
  assert.equal(total(last, 'loadlab_requests_total', s), report.requests);
  assert.equal(total(last, 'loadlab_scenario_running', s), 0);
  // the report went to the master without waiting: the last-scrape wait came after the quit
  assert.ok(quitAt <= waitingAt, 'the final-scrape wait came after the report and the quit');
  assertPromtoolAccepts(t, last);
});

test('run --worker / --master: bad metrics flags are refused (104), every problem at once', async () => {
  const a = await tickstorm([
    'run',
    '--worker',
    '--master-port',
    '1',
    '--metrics-port',
    'abc',
    '--target',
    'x',
  ]);
  assert.equal(a.code, 104, a.stderr);
  assert.match(a.stderr, /--metrics-port must be a port number 0\.\.65535 \(got 'abc'\)/);
  assert.match(a.stderr, /--target is the master's/);
  const b = await tickstorm(['run', '--worker', '--out', 'prometheus=9000', '--metrics-port', '9001']);
  assert.equal(b.code, 104, b.stderr);
  assert.match(b.stderr, /--out prometheus=9000: give the port once/);
  const c = await tickstorm(['run', file, '--master', '--metrics-port', '0']);
  assert.equal(c.code, 104, c.stderr);
  assert.match(c.stderr, /--metrics-port \/ --out prometheus: a master runs no load/);
});
