/**
 * `tickstorm http URL --metrics-port 0` against a local server, scraped as Prometheus would
 * until the endpoint goes away: the last scrape's request-duration histogram (scenario="http")
 * counts exactly the requests the command reported in --json, and promtool accepts the text.
 * Bad values are refused with 104, every problem at once, naming the flag.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';
import { assertPromtoolAccepts, total } from './support/prom-scrape.ts';
import { runScraped } from './support/scrape-run.ts';

let srv: LocalServer;
let dir: string;
before(async () => {
  srv = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-metrics-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test('tickstorm http --metrics-port 0: the last scrape counts every request the command reported', async (t) => {
  const json = join(dir, 'http.json');
  let child: ChildProcess | undefined;
  t.after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });
  const run = await runScraped(
    ['http', `${srv.url}/load`, '-c', '2', '-d', '2', '-R', '200', '--metrics-port', '0', '--json', json],
    (c) => {
      child = c;
    },
  );
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.texts.length >= 2, 'scraped while it ran');
  const report = JSON.parse(readFileSync(json, 'utf8')) as { requests: number; dropped: number };
  // 400 planned: each sent, or dropped (counted) if a stall of the busy box left no free slot
  assert.equal(
    report.requests + report.dropped,
    400,
    `requests ${report.requests}, dropped ${report.dropped}`,
  );
  assert.ok(report.requests > 0);
  const last = run.texts[run.texts.length - 1];
  const http = { scenario: 'http' };
  assert.equal(total(last, 'loadlab_request_duration_seconds_count', http), report.requests);
  assert.equal(
    total(last, 'loadlab_request_duration_seconds_bucket', { ...http, le: '+Inf' }),
    report.requests,
  );
  assert.equal(total(last, 'loadlab_requests_total', http), report.requests);
  assert.equal(total(last, 'loadlab_scenario_running', http), 0, 'finished by the last scrape');
  // counters never go back between scrapes
  const counts = run.texts.map((x) => total(x, 'loadlab_request_duration_seconds_count', http));
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i] >= counts[i - 1], `scrape ${i}`);
  assertPromtoolAccepts(t, last);
});

test('tickstorm http: a bad --metrics-port is refused (104) with the other problems', async () => {
  const r = await tickstorm(['http', srv.url, '-R', '10', '--read-coalescing', '--metrics-port', 'x9']);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /--metrics-port must be a port number 0\.\.65535 \(got 'x9'\)/);
  assert.match(r.stderr, /--read-coalescing applies to the closed model only/);
  const big = await tickstorm(['http', srv.url, '--metrics-port', '65536']);
  assert.equal(big.code, 104, big.stderr);
  assert.match(big.stderr, /--metrics-port must be a port number/);
});
