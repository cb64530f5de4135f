/**
 * `tickstorm swarm --metrics-port 0`, headless and as a `--worker`, against a local server:
 * scraped as Prometheus would until the endpoint goes away, the last scrape's request-duration
 * histogram (per request type and name, scenario = the user file's base name) counts exactly
 * the requests of the --json report, and promtool accepts the text. The worker serves its own
 * part; its report reaches the master before its exporter closes, and over two tests of a
 * web UI master in a row its counters keep counting (monotonic). Bad values: 104, every
 * problem at once, naming the flag (a master's --metrics-port, the web UI's port reused).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm } from './support/cli.ts';
import {
  assertPromtoolAccepts,
  firstSeen,
  metricsUrl,
  scrapeUntil,
  scrapeUntilGone,
  total,
} from './support/prom-scrape.ts';
import { runScraped } from './support/scrape-run.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-counted-users.ts', import.meta.url),
);
/** Counted users each send exactly this many requests (the fixture's REQUESTS). */
const REQUESTS = 25;
const SERIES = { scenario: 'swarm-counted-users', type: 'GET', name: 'count' };

let server: LocalServer;
let dir: string;
const { start, stopAll } = trackedTickstorm();
before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-swarm-metrics-'));
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('swarm --headless --metrics-port 0: the last scrape counts the report’s requests per type and name', async (t) => {
  const json = join(dir, 'local.json');
  let child: ChildProcess | undefined;
  t.after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });
  const run = await runScraped(
    [
      ...['swarm', '-f', USERS, 'Counted', '--headless', '-u', '4', '-r', '100', '-t', '2s'],
      ...['-H', server.url, '--only-summary', '--metrics-port', '0', '--json', json],
    ],
    (c) => {
      child = c;
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.texts.length >= 2, 'scraped while it ran');
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const requests = report.scenarios[0].requests as number;
  assert.equal(requests, 4 * REQUESTS);
  const last = run.texts[run.texts.length - 1];
  assert.equal(total(last, 'loadlab_request_duration_seconds_count', SERIES), requests);
  assert.equal(total(last, 'loadlab_request_duration_seconds_count'), requests, 'one series only');
  assert.equal(total(last, 'loadlab_requests_total', { scenario: SERIES.scenario }), requests);
  assertPromtoolAccepts(t, last);
});

test('swarm --worker --metrics-port 0: the worker serves its own part, after its report went to the master', async (t) => {
  const json = join(dir, 'master.json');
  const m = start([
    ...['swarm', '-f', USERS, 'Counted', '--master', '--headless', '--master-bind-port', '0'],
    ...['-H', server.url, '--only-summary', '-u', '3', '-r', '100', '-t', '2s', '--json', json],
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const w = start(['swarm', '-f', USERS, '--worker', '--master-port', port, '--metrics-port', '0']);
  const quit = firstSeen(w, 'stdout', /The master sent quit/);
  const waiting = firstSeen(w, 'stderr', /generator metrics: waiting up to [\d.]+ s for the last scrape/);
  const scrapes = scrapeUntilGone(await metricsUrl(w));
  const [mx, wx, texts, quitAt, waitingAt] = await Promise.all([m.exited, w.exited, scrapes, quit, waiting]);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(wx.code, 0, w.stdout() + w.stderr());
  const requests = JSON.parse(readFileSync(json, 'utf8')).scenarios[0].requests as number;
  assert.equal(requests, 3 * REQUESTS);
  assert.ok(texts.length >= 2, 'scraped while it ran');
  // the exporter waits for its last scrape as the process exits, after the master's quit
  assert.ok(quitAt <= waitingAt, 'the final-scrape wait came after the report and the quit');
  const last = texts[texts.length - 1].text;
  assert.equal(total(last, 'loadlab_request_duration_seconds_count', SERIES), requests);
  const counts = texts.map((s) => total(s.text, 'loadlab_request_duration_seconds_count', SERIES));
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], `scrape ${i}: monotonic`);
  assertPromtoolAccepts(t, last);
});

test('swarm --worker --metrics-port 0 over two tests of a web UI master: the counters keep counting', async (t) => {
  const m = start([
    ...['swarm', '-f', USERS, 'Counted', '--master', '--master-bind-port', '0', '--web-port', '0'],
    ...['-H', server.url, '--only-summary'],
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const [, web] = await m.waitFor(/Web UI: (http:\/\/\S+?)\/? \(Ctrl-C to quit\)/);
  const w = start(['swarm', '-f', USERS, '--worker', '--master-port', port, '--metrics-port', '0']);
  const url = await metricsUrl(w);
  await w.waitFor(/Connected to the master/);
  const count = (text: string) => total(text, 'loadlab_request_duration_seconds_count', SERIES);
  const texts: string[] = [];
  for (const [n, [users, expected]] of [
    [2, 2 * REQUESTS],
    [3, 5 * REQUESTS],
  ].entries()) {
    const started = await fetch(`${web}/swarm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `user_count=${users}&spawn_rate=100`,
    });
    assert.equal(started.status, 200, await started.text());
    texts.push(...(await scrapeUntil(url, (x) => count(x) >= expected)));
    assert.equal((await fetch(`${web}/stop`)).status, 200);
    const after = await fetch(url).then((r) => r.text());
    texts.push(after);
    assert.equal(count(after), expected, `after test ${n + 1}: every request of the tests so far`);
    assert.equal(total(after, 'loadlab_scenario_running', { scenario: SERIES.scenario }), 0);
  }
  const counts = texts.map(count);
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], `scrape ${i}: monotonic`);
  assertPromtoolAccepts(t, texts[texts.length - 1]);
  m.child.kill('SIGINT');
  const [wx] = await Promise.all([w.exited, m.exited]);
  assert.equal(wx.code, 0, w.stdout() + w.stderr());
});

test('swarm: bad --metrics-port values are refused (104), every problem at once', async () => {
  const a = await tickstorm(['swarm', '-f', USERS, '--headless', '-u', 'many', '--metrics-port', '-1']);
  assert.equal(a.code, 104, a.stderr);
  assert.match(a.stderr, /--metrics-port must be a port number 0\.\.65535 \(got '-1'\)/);
  assert.match(a.stderr, /many/);
  const b = await tickstorm(['swarm', '-f', USERS, '--master', '--headless', '--metrics-port', '0']);
  assert.equal(b.code, 104, b.stderr);
  assert.match(b.stderr, /--metrics-port: a master runs no users/);
  const c = await tickstorm(['swarm', '-f', USERS, '--web-port', '18089', '--metrics-port', '18089']);
  assert.equal(c.code, 104, c.stderr);
  assert.match(c.stderr, /--metrics-port 18089 is the web UI's port too/);
});
