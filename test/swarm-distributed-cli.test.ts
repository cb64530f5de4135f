/**
 * `tickstorm swarm --master` / `--worker` as separate OS processes against a local HTTP
 * server: users spread over both workers, the final report merges both and its request
 * count equals what the server received; a worker killed (SIGKILL) mid-run is reported
 * missing within 3 s and the run completes with the other; a worker started during the test
 * gets its share at once with --enable-rebalancing; the master's web UI lists the workers
 * (a killed one as missing within 3 s, all of them stopped in the first answer after Stop);
 * `tickstorm merge` adds two
 * --json reports exactly. Ports are chosen by the OS (--master-bind-port 0).
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm, type Watched } from './support/child.ts';
import { tickstorm } from './support/cli.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-counted-users.ts', import.meta.url),
);
/** Counted users each send exactly this many requests (the fixture's REQUESTS). */
const REQUESTS = 25;

let server: LocalServer;
let received = new Map<string, number>();
/** 'hit' after each request the server answered. */
const hits = new EventEmitter();
let dir: string;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-swarm-dist-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = (req.url ?? '').replace(/\?.*$/, '');
      received.set(path, (received.get(path) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      hits.emit('hit');
    });
  });
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A master on an OS-chosen port, and the port it printed. */
async function master(args: string[]): Promise<{ m: Watched; port: string }> {
  const m = start([
    'swarm',
    '-f',
    USERS,
    '--master',
    '--headless',
    '--master-bind-port',
    '0',
    '-H',
    server.url,
    '--only-summary',
    ...args,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  assert.notEqual(port, '0');
  return { m, port };
}

const worker = (port: string) => start(['swarm', '-f', USERS, '--worker', '--master-port', port]);

/** Resolves once the server has received `n` requests to `path` (bounded). */
function receivedReaches(path: string, n: number, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if ((received.get(path) ?? 0) < n) return;
      clearTimeout(timer);
      hits.off('hit', check);
      resolve();
    };
    const timer = setTimeout(() => {
      hits.off('hit', check);
      reject(new Error(`the server got ${received.get(path) ?? 0} of ${n} requests to ${path}`));
    }, timeoutMs);
    hits.on('hit', check);
    check();
  });
}

interface WebDoc {
  state: string;
  user_count: number;
  worker_count: number;
  workers: {
    id: string;
    host: string;
    state: string;
    user_count: number;
    cpu_usage: number;
    memory_usage: number;
  }[];
}

/** The web UI's /stats/requests once `pred` holds, polled as the page does (bounded). */
async function statsUntil(url: string, pred: (d: WebDoc) => boolean, timeoutMs: number): Promise<WebDoc> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const d = (await (await fetch(new URL('/stats/requests', url))).json()) as WebDoc;
    if (Array.isArray(d.workers) && pred(d)) return d;
    if (performance.now() > deadline)
      throw new Error(`/stats/requests not as expected within ${timeoutMs} ms: ${JSON.stringify(d.workers)}`);
    // a poll interval (the page polls every second), not a synchronisation
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tickstorm swarm --master / --worker', () => {
  test('two workers share the users; the merged report counts exactly what the server received', async () => {
    received = new Map();
    const json = join(dir, 'master.json');
    const { m, port } = await master([
      'Counted',
      '--expect-workers',
      '2',
      '-u',
      '6',
      '-r',
      '100',
      '-t',
      '3s',
      '--json',
      json,
    ]);
    const w1 = worker(port);
    const w2 = worker(port);
    const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
    assert.equal(mx.code, 0, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
    assert.equal(x2.code, 0, w2.stderr());
    for (const w of [w1, w2]) {
      assert.match(w.stdout(), /Test started \(Counted\)/);
      assert.match(w.stdout(), /The master sent quit/);
    }
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const s = report.scenarios[0];
    assert.equal(received.get('/count'), 6 * REQUESTS);
    assert.equal(s.requests, received.get('/count'), 'the report counts every request the server got');
    assert.equal(s.entries[0].requests, 6 * REQUESTS);
    assert.equal(s.entries[0].histogram.count, 6 * REQUESTS);
    assert.equal(report.workers.joined.length, 2);
    assert.equal(report.workers.missing.length, 0);
    assert.equal(s.extra.peakUsers, 6);
    assert.equal(s.generator.workers, 2, 'both workers ran users');
    assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 2 at the end, 0 missing/);
    // the generator's health is the workers' (they made the requests), not the master's own
    const health = s.extra.workerHealth as {
      id: string;
      cpuSec: number;
      cpuPercent: number;
      eventLoopLagMs: { p99: number };
      saturated: boolean;
    }[];
    assert.deepEqual(health.map((h) => h.id).sort(), [...report.workers.joined].sort());
    for (const h of health) assert.ok(h.cpuSec > 0, `worker ${h.id} used CPU`);
    const sum = Math.round(health.reduce((a, h) => a + h.cpuPercent, 0) * 10) / 10;
    assert.equal(s.generator.cpuPercent, sum);
    assert.equal(s.generator.eventLoopLagMs.p99, Math.max(...health.map((h) => h.eventLoopLagMs.p99)));
    assert.equal(
      s.generator.saturated,
      health.some((h) => h.saturated),
    );
    assert.match(m.stdout(), /Generator: [\d.]+% of one core over [\d.]+ s, 2 worker\(s\)/);
  });

  test('a worker killed mid-run is reported missing within 3 s; the run completes with the other', async () => {
    const json = join(dir, 'killed.json');
    const { m, port } = await master([
      'Streamer',
      '--expect-workers',
      '2',
      '-u',
      '4',
      '-r',
      '100',
      '-t',
      '6s',
      '--json',
      json,
    ]);
    const w1 = worker(port);
    const w2 = worker(port);
    await m.waitFor(/Starting the test on 2 worker\(s\)/);
    await Promise.all([w1.waitFor(/Test started/), w2.waitFor(/Test started/)]);
    const [, victim] = await w2.waitFor(/as worker (\S+)/);
    const killedAt = performance.now();
    w2.child.kill('SIGKILL');
    await m.waitFor(new RegExp(`Worker ${victim} is missing \\(`), 3000);
    const seenAfter = performance.now() - killedAt;
    assert.ok(seenAfter < 3000, `reported after ${seenAfter} ms`);
    const [mx, x1] = await Promise.all([m.exited, w1.exited]);
    assert.equal(mx.code, 0, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
    assert.match(m.stdout(), /the test goes on with 1 worker\(s\)/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(report.workers.joined.length, 2);
    assert.equal(report.workers.missing.length, 1);
    assert.equal(report.workers.missing[0].id, victim);
    assert.equal(report.workers.connected, 1);
    assert.ok(report.scenarios[0].requests > 0);
  });

  test('a worker frozen past the heartbeat bound (SIGSTOP) is dropped; resumed, it says the master dropped it (exit 1)', async () => {
    const { m, port } = await master([
      'Streamer',
      '--expect-workers',
      '2',
      '-u',
      '4',
      '-r',
      '100',
      '-t',
      '30s',
    ]);
    const w1 = worker(port);
    const w2 = worker(port);
    await Promise.all([w1.waitFor(/Test started/), w2.waitFor(/Test started/)]);
    const [, frozen] = await w2.waitFor(/as worker (\S+)/);
    w2.child.kill('SIGSTOP');
    try {
      await m.waitFor(
        new RegExp(`Worker ${frozen} is missing \\(no heartbeat for \\d\\.\\d s\\); the test goes on with 1`),
        5000,
      );
    } finally {
      w2.child.kill('SIGCONT');
    }
    const x2 = await w2.exited;
    assert.equal(x2.code, 1, w2.stderr());
    assert.match(
      w2.stderr(),
      new RegExp(
        `the master at 127\\.0\\.0\\.1:${port} dropped this worker \\(no heartbeat for \\d\\.\\d s; it goes on without it\\)`,
      ),
    );
    assert.doesNotMatch(w2.stderr(), /went away/);
    m.child.kill('SIGINT');
    const [mx, x1] = await Promise.all([m.exited, w1.exited]);
    assert.equal(mx.code, 105, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
    assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 1 at the end, 1 missing/);
  });

  /** A master with its web UI, 4 Streamer users started at once over 2 workers. */
  async function webMaster() {
    const m = start([
      'swarm',
      '-f',
      USERS,
      'Streamer',
      '--master',
      '--master-bind-port',
      '0',
      '--web-port',
      '0',
      '--expect-workers',
      '2',
      '--autostart',
      '-u',
      '4',
      '-r',
      '100',
      '-H',
      server.url,
    ]);
    const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
    const [, url] = await m.waitFor(/Web UI: (\S+)/);
    return { m, url, w1: worker(port), w2: worker(port) };
  }

  test("the master's web UI lists the workers; a killed one shows as missing within 3 s", async () => {
    const { m, url, w1, w2 } = await webMaster();
    const [[, id1], [, id2]] = await Promise.all([
      w1.waitFor(/as worker (\S+)/),
      w2.waitFor(/as worker (\S+)/),
    ]);
    const here = (d: WebDoc) => d.workers.filter((w) => w.state !== 'missing');
    const users = (d: WebDoc) => here(d).reduce((n, w) => n + w.user_count, 0);
    const d = await statsUntil(
      url,
      (x) => x.user_count === 4 && users(x) === 4 && here(x).every((w) => w.state === 'running'),
      15_000,
    );
    assert.equal(d.worker_count, 2);
    assert.deepEqual(d.workers.map((w) => w.id).sort(), [id1, id2].sort());
    for (const w of d.workers) {
      assert.equal(w.host, '127.0.0.1');
      assert.ok(w.user_count > 0, `${w.id} runs users`);
      assert.ok(w.memory_usage > 0 && w.cpu_usage >= 0, JSON.stringify(w));
    }
    const killedAt = performance.now();
    w2.child.kill('SIGKILL');
    const gone = await statsUntil(
      url,
      (x) => x.workers.some((w) => w.id === id2 && w.state === 'missing'),
      3000,
    );
    assert.ok(performance.now() - killedAt < 3000);
    assert.equal(gone.worker_count, 1);
    assert.equal(gone.workers.length, 2, 'the missing worker stays listed');
    assert.equal(gone.workers.find((w) => w.id === id2)!.user_count, 0);
    // its users are started again on the other worker
    await statsUntil(
      url,
      (x) => users(x) === 4 && x.workers.find((w) => w.id === id1)!.user_count === 4,
      10_000,
    );
    m.child.kill('SIGINT');
    const [mx, x1] = await Promise.all([m.exited, w1.exited]);
    assert.equal(mx.code, 105, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
  });

  test("the web UI's Stop: the workers show stopped with 0 users in the answer after /stop, not a heartbeat later", async () => {
    const { m, url, w1, w2 } = await webMaster();
    await statsUntil(
      url,
      (x) => x.workers.length === 2 && x.workers.every((w) => w.state === 'running' && w.user_count === 2),
      15_000,
    );
    const stop = (await (await fetch(new URL('/stop', url), { method: 'POST' })).json()) as {
      message: string;
    };
    assert.equal(stop.message, 'Test stopped');
    // the next poll, as the page's: the workers' heartbeats (every second) have not come yet
    const d = (await (await fetch(new URL('/stats/requests', url))).json()) as WebDoc;
    assert.equal(d.state, 'stopped');
    assert.deepEqual(
      d.workers.map((w) => [w.state, w.user_count]),
      [
        ['stopped', 0],
        ['stopped', 0],
      ],
    );
    for (const w of [w1, w2]) assert.match(w.stdout(), /Test stopped; final statistics sent/);
    m.child.kill('SIGINT');
    const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
    assert.equal(mx.code, 105, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
    assert.equal(x2.code, 0, w2.stderr());
  });

  test('Ctrl-C on the master: stop, final statistics, quit; the master exits 105, the workers 0', async () => {
    const json = join(dir, 'interrupted.json');
    const { m, port } = await master([
      'Streamer',
      '--expect-workers',
      '2',
      '-u',
      '2',
      '-r',
      '100',
      '-t',
      '10m',
      '--json',
      json,
    ]);
    const w1 = worker(port);
    const w2 = worker(port);
    await Promise.all([w1.waitFor(/Test started/), w2.waitFor(/Test started/)]);
    m.child.kill('SIGINT');
    const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
    assert.equal(mx.code, 105, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
    assert.equal(x2.code, 0, w2.stderr());
    for (const w of [w1, w2])
      assert.match(w.stdout(), /Test stopped; final statistics sent[\s\S]*The master sent quit/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(report.exitCode, 105);
    assert.equal(report.workers.missing.length, 0);
  });

  test('--enable-rebalancing: a worker started during the test gets half the users at once', async () => {
    received = new Map();
    const json = join(dir, 'late.json');
    const { m, port } = await master([
      'Counted',
      '--enable-rebalancing',
      '-u',
      '4',
      '-r',
      '100',
      '-t',
      '10m',
      '--json',
      json,
    ]);
    const w1 = worker(port);
    await w1.waitFor(/Test started/);
    await receivedReaches('/count', 4 * REQUESTS); // the first 4 users are done: idle at a plateau
    const w2 = worker(port);
    const [, late] = await w2.waitFor(/as worker (\S+)/);
    await m.waitFor(new RegExp(`Worker ${late} joined the running test; 2 users moved to it`));
    await w2.waitFor(/Test started \(Counted\)/);
    await receivedReaches('/count', 6 * REQUESTS); // the 2 moved users are new users: 25 each
    m.child.kill('SIGINT');
    const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
    assert.equal(mx.code, 105, m.stdout() + m.stderr());
    assert.equal(x1.code, 0, w1.stderr());
    assert.equal(x2.code, 0, w2.stderr());
    const report = JSON.parse(readFileSync(json, 'utf8'));
    const s = report.scenarios[0];
    assert.equal(s.requests, 6 * REQUESTS, 'the report counts both workers');
    assert.equal(s.requests, received.get('/count'));
    assert.equal(report.workers.joined.length, 2);
    assert.equal(report.workers.connected, 2);
    const health = s.extra.workerHealth as { id: string }[];
    assert.ok(
      health.some((h) => h.id === late),
      'the late worker is in the generator health',
    );
    assert.equal(s.extra.peakUsers, 4, 'the total never went above -u');
  });

  test('too few workers: the master gives up after --expect-workers-max-wait, exit 1, nothing run', async () => {
    const { m } = await master([
      'Counted',
      '--expect-workers',
      '2',
      '--expect-workers-max-wait',
      '0.5',
      '-u',
      '1',
      '-t',
      '1s',
    ]);
    const x = await m.exited;
    assert.equal(x.code, 1);
    assert.match(
      m.stderr(),
      /only 0 of 2 workers connected within 0\.5 s \(--expect-workers 2, --expect-workers-max-wait 0\.5\); nothing ran/,
    );
  });

  test('a worker started before its master says so, keeps retrying (up to 300 s, as Locust) and joins it', async () => {
    // a port the OS chose, free again for the master to take
    const port = await new Promise<string>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = String((s.address() as { port: number }).port);
        s.close(() => resolve(p));
      });
    });
    received = new Map();
    const json = join(dir, 'early-worker.json');
    const w = worker(port);
    await w.waitFor(
      new RegExp(`No master at 127\\.0\\.0\\.1:${port} yet \\(.+\\); retrying for up to 300 s`),
    );
    const m = start([
      'swarm',
      '-f',
      USERS,
      'Counted',
      '--master',
      '--headless',
      '--master-bind-port',
      port,
      '--expect-workers',
      '1',
      '-u',
      '2',
      '-r',
      '100',
      '-t',
      '2s',
      '-H',
      server.url,
      '--only-summary',
      '--json',
      json,
    ]);
    const [mx, wx] = await Promise.all([m.exited, w.exited]);
    assert.equal(mx.code, 0, m.stdout() + m.stderr());
    assert.equal(wx.code, 0, w.stdout() + w.stderr());
    assert.match(w.stdout(), /Connected to the master at 127\.0\.0\.1:\d+ as worker/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    assert.equal(report.workers.joined.length, 1);
    assert.equal(report.scenarios[0].requests, 2 * REQUESTS);
    assert.equal(received.get('/count'), 2 * REQUESTS);
  });

  test("a worker of another tickstorm version is named, as Locust's master warns", async () => {
    const { m, port } = await master(['Counted', '--expect-workers', '2', '-u', '1', '-t', '1s']);
    const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    try {
      socket.write(
        `${JSON.stringify({ t: 'hello', id: 'old-1', version: '0.0.1', mode: 'swarm', classes: ['Counted'] })}\n`,
      );
      await m.waitFor(
        new RegExp(`Worker old-1 runs tickstorm 0\\.0\\.1, this master ${version.replaceAll('.', '\\.')}`),
        10_000,
      );
    } finally {
      socket.destroy();
    }
  });

  test('bad master/worker flags are listed at once, naming the flag (104)', async () => {
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      '--master',
      '--worker',
      '--expect-workers',
      '0',
      '--master-port',
      '70000',
    ]);
    assert.equal(r.code, 104);
    assert.match(r.stderr, /--master and --worker exclude each other/);
    assert.match(r.stderr, /--expect-workers must be an integer >= 1, got '0'/);
    assert.match(r.stderr, /--master-port must be a port 0\.\.65535, got '70000'/);
  });

  test('a worker refuses the master flags: -t and the report files (104, as Locust)', async () => {
    const r = await tickstorm([
      'swarm',
      '-f',
      USERS,
      '--worker',
      '-t',
      '5s',
      '--json',
      'w.json',
      '--csv',
      'w',
    ]);
    assert.equal(r.code, 104);
    assert.match(r.stderr, /-t\/--run-time is given to the master \(--master\), not to a --worker/);
    assert.match(r.stderr, /--json is written by the master/);
    assert.match(r.stderr, /--csv is written by the master/);
  });

  test("--enable-rebalancing is the master's: refused on a --worker and without --master (104)", async () => {
    for (const role of [['--worker'], []]) {
      const r = await tickstorm(['swarm', '-f', USERS, ...role, '--headless', '--enable-rebalancing']);
      assert.equal(r.code, 104, `${role.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /--enable-rebalancing needs --master/);
    }
    const help = await tickstorm(['swarm', '--help']);
    assert.match(help.stdout, /--enable-rebalancing/);
  });

  test('tickstorm merge adds two --json reports exactly', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    const out = join(dir, 'merged.json');
    const run = (file: string, seed: string) =>
      tickstorm([
        'swarm',
        '-f',
        USERS,
        'Counted',
        '--headless',
        '-u',
        '2',
        '-r',
        '100',
        '-t',
        '1s',
        '-H',
        server.url,
        '--seed',
        seed,
        '--only-summary',
        '--json',
        file,
      ]);
    const [ra, rb] = await Promise.all([run(a, '1'), run(b, '2')]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const r = await tickstorm(['merge', a, b, '--json', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 reports merged/);
    const [ja, jb, jm] = [a, b, out].map((f) => JSON.parse(readFileSync(f, 'utf8')));
    assert.equal(jm.requests, ja.requests + jb.requests);
    assert.equal(jm.scenarios[0].entries[0].histogram.count, ja.requests + jb.requests);
    const bad = await tickstorm(['merge', a, join(dir, 'missing.json')]);
    assert.equal(bad.code, 104);
    assert.match(bad.stderr, /missing\.json: cannot read it/);
    // a histogram whose count disagrees with its counters is refused, not merged into wrong figures
    const tampered = join(dir, 'tampered.json');
    const jt = JSON.parse(readFileSync(a, 'utf8'));
    jt.scenarios[0].entries[0].histogram.count = 7;
    writeFileSync(tampered, JSON.stringify(jt));
    // merged with b: with a, it is refused first as the same run given twice
    const t = await tickstorm(['merge', b, tampered]);
    assert.equal(t.code, 104, t.stdout);
    assert.match(
      t.stderr,
      /tampered\.json: scenario \S+, GET count: the histogram holds \d+ values, its count says 7/,
    );
    // another scenario, from another version: listed apart, its count of reports its own, and named
    const other = join(dir, 'other.json');
    const jo = JSON.parse(readFileSync(b, 'utf8'));
    jo.scenarios[0].scenario = 'elsewhere';
    jo.version = '0.0.1-other';
    writeFileSync(other, JSON.stringify(jo));
    const o = await tickstorm(['merge', a, b, other]);
    assert.equal(o.code, 0, o.stderr);
    assert.match(o.stdout, new RegExp(`${ja.scenarios[0].scenario} \\(in 2 of the 3 reports\\)`));
    assert.match(o.stdout, /elsewhere \(in 1 of the 3 reports\)/);
    assert.match(o.stderr, new RegExp(`the reports come from tickstorm ${ja.version}, 0\\.0\\.1-other`));
  });
});
