/**
 * A worker that joins a running swarm test (real TCP: a MasterPool, a SwarmController and
 * `runSwarmWorker`s in this process, against a local HTTP server). With --enable-rebalancing
 * the users are spread at once (10 on one worker → 5 and 5, the total unchanged) and the live
 * series goes on; without it the newcomer gets nothing at a plateau and the next ramp's users
 * first; a late worker whose file lacks a class of the test is refused and the test goes on;
 * one joining after the test stopped waits for the next test.
 * Waits are on heartbeats, log lines and the server's request count, each bounded.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadUserFile, MasterPool, runSwarmWorker, SwarmController } from '@tickstorm/loadlab';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';

const COUNTED = fileURLToPath(new URL('./fixtures/swarm-counted-users.ts', import.meta.url));
const OTHER = fileURLToPath(new URL('./fixtures/swarm-users.ts', import.meta.url));
/** Each Counted user sends exactly this many requests (the fixture's REQUESTS). */
const REQUESTS = 25;
const WAIT_MS = 15_000;

/** Something to wait on: `check` runs on every `poke` until it answers a value. */
function watcher() {
  const waiters = new Set<() => void>();
  return {
    poke: () => {
      for (const w of [...waiters]) w();
    },
    until<T>(what: string, check: () => T | undefined, timeoutMs = WAIT_MS): Promise<T> {
      return new Promise((resolve, reject) => {
        const run = () => {
          const v = check();
          if (v === undefined) return;
          clearTimeout(timer);
          waiters.delete(run);
          resolve(v);
        };
        const timer = setTimeout(() => {
          waiters.delete(run);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.add(run);
        run();
      });
    },
  };
}

interface Rig {
  server: LocalServer;
  pool: MasterPool;
  swarm: SwarmController;
  lines: string[];
  /** Users per worker id, from the latest heartbeats; heartbeats received per worker id. */
  users: Map<string, number>;
  beats: Map<string, number>;
  /** Requests the server received. */
  received: () => number;
  w: ReturnType<typeof watcher>;
  /** Starts a worker with `file`; resolves with its id once it is connected. */
  worker(file?: string): Promise<{ id: string; exited: Promise<number>; out: string[] }>;
}

const teardown: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of teardown.splice(0).reverse()) await f();
});

async function rig(enableRebalancing: boolean): Promise<Rig> {
  const w = watcher();
  let received = 0;
  const server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
      w.poke();
    });
  });
  teardown.push(() => server.close());
  const lines: string[] = [];
  const log = (l: string) => {
    lines.push(l);
    w.poke();
  };
  const users = new Map<string, number>();
  const beats = new Map<string, number>();
  const pool = await MasterPool.listen({
    bindHost: '127.0.0.1',
    bindPort: 0,
    expectWorkers: 1,
    expectWaitMs: WAIT_MS,
    log,
    onHeartbeat: (id, n) => {
      users.set(id, n);
      beats.set(id, (beats.get(id) ?? 0) + 1);
      w.poke();
    },
  });
  const swarm = new SwarmController({
    file: await loadUserFile(COUNTED),
    classNames: ['Counted'],
    host: server.url,
    provider: pool,
    enableRebalancing,
    log,
  });
  swarm.on('state', w.poke);
  swarm.on('slice', w.poke);
  const workers: Promise<number>[] = [];
  teardown.push(async () => {
    await swarm.close();
    await pool.close(); // quit: the workers exit
    await Promise.all(workers);
  });
  const worker = async (file = COUNTED) => {
    const out: string[] = [];
    const exited = runSwarmWorker({
      file: await loadUserFile(file),
      masterHost: '127.0.0.1',
      masterPort: pool.port,
      version: 't',
      out: (t) => {
        out.push(t);
        w.poke();
      },
      err: (t) => {
        out.push(t);
        w.poke();
      },
    });
    workers.push(exited);
    const id = await w.until('the worker to connect', () =>
      out.map((l) => /as worker (\S+)/.exec(l)?.[1]).find((x) => x !== undefined),
    );
    return { id, exited, out };
  };
  return { server, pool, swarm, lines, users, beats, received: () => received, w, worker };
}

/** Waits for the heartbeats to say each worker runs that many users. */
function usersAre(r: Rig, want: Record<string, number>): Promise<true> {
  return r.w.until(`users ${JSON.stringify(want)} (now ${JSON.stringify([...r.users])})`, () =>
    Object.entries(want).every(([id, n]) => r.users.get(id) === n) ? true : undefined,
  );
}

/** One worker, then a test of `users` users on it, running (spawning done). */
async function plateau(r: Rig, users: number) {
  const a = await r.worker();
  await r.swarm.start({ users, spawnRate: 100 });
  await r.w.until('running', () => (r.swarm.state === 'running' ? true : undefined));
  await usersAre(r, { [a.id]: users });
  return a;
}

const line = (r: Rig, re: RegExp) =>
  r.w.until(`a line matching ${re}`, () => r.lines.find((l) => re.test(l)));

test('--enable-rebalancing: a worker joining a plateau of 10 users gets 5 at once; the report counts both', async () => {
  const r = await rig(true);
  const a = await plateau(r, 10);
  await r.w.until('the first 10 users sent their requests', () =>
    r.received() === 10 * REQUESTS ? true : undefined,
  );
  const b = await r.worker();
  const joinedAt = Date.now();
  assert.match(
    await line(r, /joined the running test/),
    new RegExp(`Worker ${b.id} joined the running test; 5 users moved to it`),
  );
  await usersAre(r, { [a.id]: 5, [b.id]: 5 });
  assert.equal(r.swarm.users, 10, 'the total is unchanged');
  assert.deepEqual(r.swarm.view().usersByClass, { Counted: 10 });
  // the live series goes on past the join, with the newcomer's seconds in it
  await r.w.until('a second after the join', () =>
    r.swarm.result().timeseries.some((s) => s.t * 1000 >= joinedAt + 1000) ? true : undefined,
  );
  // the 5 users moved are new users on the newcomer: 25 requests each
  await r.w.until('the moved users sent their requests', () =>
    r.received() === 15 * REQUESTS ? true : undefined,
  );
  await r.swarm.stop();
  const res = r.swarm.result();
  assert.equal(res.requests, 15 * REQUESTS, 'the merged report counts both workers');
  assert.equal(res.requests, r.received());
  const health = res.extra.workerHealth as { id: string }[];
  assert.deepEqual(health.map((h) => h.id).sort(), [a.id, b.id].sort());
  // the series is complete: one slice per second from the start, in order
  const ts = res.timeseries.map((s) => s.t);
  for (let i = 1; i < ts.length; i++)
    assert.equal(Math.round((ts[i] - ts[i - 1]) * 1000), 1000, `second ${i}`);
  assert.equal(
    res.timeseries.reduce((n, s) => n + s.requests, 0),
    15 * REQUESTS,
    'every request is in the series',
  );
  assert.match(b.out.join('\n'), /Test started \(Counted\)/);
});

test('without --enable-rebalancing a late worker gets no users at a plateau, then the new users of a ramp first', async () => {
  const r = await rig(false);
  const a = await plateau(r, 10);
  const b = await r.worker();
  assert.match(
    await line(r, /joined the running test/),
    new RegExp(
      `Worker ${b.id} joined the running test; it gets users from the next change of the user count \\(--enable-rebalancing moves them now\\)`,
    ),
  );
  // two heartbeats after its start: still 0 users, and the first worker keeps its 10
  await r.w.until('the late worker started', () =>
    b.out.some((l) => /Test started/.test(l)) ? true : undefined,
  );
  const beatsAtStart = r.beats.get(b.id) ?? 0;
  await r.w.until('two more heartbeats', () =>
    (r.beats.get(b.id) ?? 0) >= beatsAtStart + 2 ? true : undefined,
  );
  assert.equal(r.users.get(b.id), 0, 'nothing moves at a plateau');
  assert.equal(r.users.get(a.id), 10);
  assert.equal(r.swarm.users, 10);
  // the web UI's Update (a retarget): the 4 new users all go to the emptier worker
  await r.swarm.start({ users: 14, spawnRate: 100 });
  await usersAre(r, { [a.id]: 10, [b.id]: 4 });
  await r.swarm.start({ users: 20, spawnRate: 100 });
  await usersAre(r, { [a.id]: 10, [b.id]: 10 });
  await r.w.until('every user sent its requests', () => (r.received() === 20 * REQUESTS ? true : undefined));
  await r.swarm.stop();
  assert.equal(r.swarm.result().requests, 20 * REQUESTS);
});

test('a late worker whose user file lacks a class of the test is refused; the test goes on', async () => {
  const r = await rig(true);
  await plateau(r, 4);
  const b = await r.worker(OTHER);
  assert.match(
    await line(r, new RegExp(`Worker ${b.id} is missing`)),
    /refused: its user file has no class Counted \(give every worker the master's -f file\)/,
  );
  assert.equal(await b.exited, 104, b.out.join('\n'));
  assert.equal(r.swarm.state, 'running', 'the test goes on');
  assert.ok(!r.lines.some((l) => /joined the running test/.test(l)));
  await r.w.until('the users sent their requests', () => (r.received() === 4 * REQUESTS ? true : undefined));
  await r.swarm.stop();
  assert.equal(r.swarm.result().requests, 4 * REQUESTS);
  assert.equal(r.pool.section().missing.length, 1);
});

test('a worker joining after the test stopped waits for the next test, which it is part of', async () => {
  const r = await rig(true);
  const a = await r.worker();
  await r.swarm.start({ users: 2, spawnRate: 100 });
  await usersAre(r, { [a.id]: 2 });
  await r.swarm.stop();
  const b = await r.worker();
  const beats = r.beats.get(b.id) ?? 0;
  await r.w.until('two heartbeats from the new worker', () =>
    (r.beats.get(b.id) ?? 0) >= beats + 2 ? true : undefined,
  );
  assert.ok(!b.out.some((l) => /Test started/.test(l)), 'no test to join');
  assert.ok(!r.lines.some((l) => /joined/.test(l)));
  // the next test (the web UI's Start again) runs on both
  await r.swarm.start({ users: 4, spawnRate: 100 });
  assert.match(await line(r, /Starting the test on 2 worker/), new RegExp(b.id));
  await usersAre(r, { [a.id]: 2, [b.id]: 2 });
  await r.swarm.stop();
});
