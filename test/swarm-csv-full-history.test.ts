/**
 * `tickstorm swarm --csv PREFIX --csv-full-history` (Locust's): PREFIX_stats_history.csv has,
 * every second, a row per request type and name before the Aggregated row. Real runs against a
 * local server (port 0), with --processes 2 and with a --master and two --worker processes:
 * each second's per-name rows add up to its Aggregated row, each name's seconds add up to its
 * cumulative Total columns, and the last totals are the server's counts and PREFIX_stats.csv's.
 * The history file grows while the test runs and the stats file holds the totals so far (as
 * Locust's), and the end rewrites them whole.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm } from './support/cli.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-named-users.ts', import.meta.url),
);
/** The fixture's PER_NAME: each user sends this many requests under each name. */
const PER_NAME = 8;
const USERS_N = 4;

let server: LocalServer;
let received = new Map<string, number>();
let dir: string;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-full-history-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').replace(/\?.*$/, '');
      received.set(path, (received.get(path) ?? 0) + 1);
      res.writeHead(path === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end(path === '/b' ? '{"posted":true}' : '{}');
    });
  });
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

type Row = Record<string, string>;

function readCsv(file: string): Row[] {
  const lines = readFileSync(file, 'utf8')
    .split('\r\n')
    .filter((l) => l.length > 0);
  const head = lines[0].split(',');
  // the fixture's names and errors hold no commas or quotes
  return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
}

/** The history's checks; returns the per-name rows of the last second. */
function checkHistory(prefix: string): void {
  const history = readCsv(`${prefix}_stats_history.csv`);
  const stats = readCsv(`${prefix}_stats.csv`);
  const seconds = new Map<string, Row[]>();
  for (const r of history) {
    const rows = seconds.get(r.Timestamp) ?? [];
    rows.push(r);
    seconds.set(r.Timestamp, rows);
  }
  assert.ok(seconds.size >= 2, `a row group per second, got ${seconds.size}`);
  const perName = new Map<string, { requests: number; failures: number; last: Row | undefined }>();
  let withNames = 0;
  let secondNo = 0;
  for (const [ts, rows] of seconds) {
    const agg = rows[rows.length - 1];
    assert.equal(agg.Name, 'Aggregated', `second ${ts} ends with its Aggregated row`);
    assert.equal(agg.Type, '');
    const names = rows.slice(0, -1);
    if (names.length > 0) withNames++;
    // sorted by name, then type, as Locust sorts its entries
    assert.deepEqual(
      names.map((r) => r.Name),
      names.map((r) => r.Name).sort(),
    );
    const sum = (col: string) => names.reduce((a, r) => a + Number(r[col]), 0);
    // Requests/s and Failures/s are Locust's current figures: per-second means over the last 10 s,
    // for every name over the same seconds as the Aggregated row
    const close = (a: number, b: number, what: string) =>
      assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} vs ${b}`);
    close(sum('Requests/s'), Number(agg['Requests/s']), `second ${ts}: names' requests add up`);
    close(sum('Failures/s'), Number(agg['Failures/s']), `second ${ts}: names' failures add up`);
    assert.equal(
      sum('Total Request Count'),
      Number(agg['Total Request Count']),
      `second ${ts}: totals add up`,
    );
    assert.equal(sum('Total Failure Count'), Number(agg['Total Failure Count']));
    const span = Math.min(10, ++secondNo);
    for (const r of names) {
      assert.equal(r['User Count'], agg['User Count']);
      const p = perName.get(r.Name) ?? { requests: 0, failures: 0, last: undefined };
      // the window's requests: a whole number, within the name's total
      const inWindow = Number(r['Requests/s']) * span;
      close(inWindow, Math.round(inWindow), `${r.Name} at ${ts}: a mean over ${span} s`);
      assert.ok(
        Math.round(inWindow) <= Number(r['Total Request Count']),
        `${r.Name} at ${ts}: window within total`,
      );
      assert.ok(Number(r['Total Request Count']) >= p.requests, `${r.Name} at ${ts}: the total never drops`);
      p.requests = Number(r['Total Request Count']);
      p.failures = Number(r['Total Failure Count']);
      if (Number(r['Requests/s']) > 0) {
        assert.ok(Number(r['50%']) <= Number(r['100%']), `${r.Name} at ${ts}: p50 <= max`);
        assert.ok(Number(r['100%']) <= Number(r['Total Max Response Time']) + 1);
      } else assert.equal(r['50%'], '0', 'a window without its requests shows 0, as Locust');
      p.last = r;
      perName.set(r.Name, p);
    }
  }
  assert.ok(withNames >= 1);
  assert.deepEqual([...perName.keys()].sort(), ['a', 'b', 'fail']);
  const types: Record<string, string> = { a: 'GET', b: 'POST', fail: 'GET' };
  for (const [name, p] of perName) {
    const path = `/${name}`;
    assert.equal(p.requests, USERS_N * PER_NAME, `${name}: every request in the last total`);
    assert.equal(p.requests, received.get(path), `${name}: what the server received`);
    assert.equal(p.failures, name === 'fail' ? USERS_N * PER_NAME : 0);
    const row = stats.find((s) => s.Name === name);
    assert.ok(row !== undefined);
    assert.equal(p.last?.Type, types[name]);
    assert.equal(row.Type, types[name]);
    for (const [h, s] of [
      ['Total Request Count', 'Request Count'],
      ['Total Failure Count', 'Failure Count'],
      ['Total Median Response Time', 'Median Response Time'],
      ['Total Average Response Time', 'Average Response Time'],
      ['Total Min Response Time', 'Min Response Time'],
      ['Total Max Response Time', 'Max Response Time'],
      ['Total Average Content Size', 'Average Content Size'],
    ])
      assert.equal(p.last?.[h], row[s], `${name}: last ${h} is the stats' ${s}`);
  }
  const aggStats = stats.find((s) => s.Name === 'Aggregated');
  const lastAgg = [...seconds.values()].at(-1)?.at(-1);
  assert.equal(lastAgg?.['Total Request Count'], aggStats?.['Request Count']);
  assert.equal(Number(aggStats?.['Request Count']), 3 * USERS_N * PER_NAME);
}

describe('tickstorm swarm --csv-full-history', () => {
  test('--processes 2: a row per name each second, adding up to the Aggregated row and the totals', async () => {
    received = new Map();
    const prefix = join(dir, 'threads');
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      '--headless',
      '--only-summary',
      '--processes',
      '2',
      '-u',
      String(USERS_N),
      '-r',
      '100',
      '-t',
      '3s',
      '-H',
      server.url,
      '--csv',
      prefix,
      '--csv-full-history',
      '--exit-code-on-error',
      '0',
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    checkHistory(prefix);
  });

  test('--master with two workers: the per-name seconds merge exactly', async () => {
    received = new Map();
    const prefix = join(dir, 'master');
    const m = start([
      'swarm',
      '-f',
      USERS,
      '--master',
      '--headless',
      '--master-bind-port',
      '0',
      '--expect-workers',
      '2',
      '--only-summary',
      '-u',
      String(USERS_N),
      '-r',
      '100',
      '-t',
      '3s',
      '-H',
      server.url,
      '--csv',
      prefix,
      '--csv-full-history',
      '--exit-code-on-error',
      '0',
    ]);
    const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
    const w1 = start(['swarm', '-f', USERS, '--worker', '--master-port', port]);
    const w2 = start(['swarm', '-f', USERS, '--worker', '--master-port', port]);
    const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
    assert.equal(mx.code, 0, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
    assert.equal(x2.code, 0, w2.stderr());
    checkHistory(prefix);
  });

  test('the history grows while the test runs (Locust appends it live); the end rewrites it whole', async () => {
    received = new Map();
    const prefix = join(dir, 'live');
    const file = `${prefix}_stats_history.csv`;
    const m = start([
      'swarm',
      '-f',
      USERS,
      '--headless',
      '--only-summary',
      '-u',
      '2',
      '-r',
      '100',
      '-t',
      '60s',
      '-H',
      server.url,
      '--csv',
      prefix,
      '--csv-full-history',
    ]);
    const statsFile = `${prefix}_stats.csv`;
    const aggregatedCount = (f: string) =>
      Number(readCsv(f).find((r) => r.Name === 'Aggregated')?.['Request Count'] ?? 0);
    // poll the files as `tail -f` would (bounded), while the test still runs
    const deadline = performance.now() + 30_000;
    let live = '';
    for (;;) {
      live = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const rows = live.split('\r\n').filter((l) => l.length > 0);
      if (
        rows.filter((l) => l.includes(',Aggregated,')).length >= 3 &&
        rows.some((l) => /,GET,a,/.test(l)) &&
        existsSync(statsFile) &&
        aggregatedCount(statsFile) > 0
      )
        break;
      assert.ok(performance.now() < deadline, `no live history and stats rows within 30 s: ${live}`);
      await new Promise((r) => setTimeout(r, 100)); // a poll interval, not a synchronisation
    }
    // the totals so far, rewritten each second as Locust's writer does: a name row, the Aggregated last
    const liveStats = readCsv(statsFile);
    const liveCount = aggregatedCount(statsFile);
    assert.ok(liveStats.some((r) => r.Type === 'GET' && r.Name === 'a'));
    assert.equal(liveStats.at(-1)?.Name, 'Aggregated');
    assert.equal(m.child.exitCode, null, 'the test is still running');
    m.child.kill('SIGINT');
    const x = await m.exited;
    assert.equal(x.code, 105, m.stdout() + m.stderr());
    const final = readFileSync(file, 'utf8');
    assert.ok(final.startsWith(live), "the rows written live are the report's first rows");
    assert.ok(final.length > live.length || final === live);
    assert.ok(aggregatedCount(statsFile) >= liveCount, 'the end rewrites the stats with the final totals');
  });

  test('without the flag the history holds the Aggregated rows only; a worker refuses it', async () => {
    received = new Map();
    const prefix = join(dir, 'plain');
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      '--headless',
      '--only-summary',
      '-u',
      '1',
      '-r',
      '100',
      '-t',
      '2s',
      '-H',
      server.url,
      '--csv',
      prefix,
      '--exit-code-on-error',
      '0',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = readCsv(`${prefix}_stats_history.csv`);
    assert.ok(rows.length >= 2);
    for (const row of rows) assert.equal(row.Name, 'Aggregated');
    const w = await tickstorm(['swarm', '-f', USERS, '--worker', '--csv-full-history']);
    assert.equal(w.code, 104);
    assert.match(w.stderr, /--csv-full-history is given to the master/);
  });
});
