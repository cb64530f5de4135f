/**
 * The swarm end to end against a local node:http target, in this thread and in two worker
 * threads: class weights, onStart/onStop, failures and exceptions, exact merging (the
 * per-second series adds up to the entries), stop/restart, reset, and a LoadTestShape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import type { ScenarioResult } from '../src/model/result.ts';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-users.ts', import.meta.url));
const SHAPE = fileURLToPath(new URL('./fixtures/swarm-shape.ts', import.meta.url));

let server: Awaited<ReturnType<typeof startPathCounter>>;
let hits: Map<string, number>;
const seen = (path: string, n: number) => server.seen(path, n);

before(async () => {
  server = await startPathCounter();
  hits = server.paths;
});
after(() => server.close());

const entry = (r: ScenarioResult, name: string) => r.entries.find((e) => e.name === name);

async function runSwarm(processes: number): Promise<{ r: ScenarioResult; swarm: SwarmController }> {
  hits.clear();
  const file = await loadUserFile(USERS);
  const swarm = new SwarmController({ file, classNames: [], host: server.url, processes, seed: 3 });
  // a reader of the live view on every second (as the console and web UI are) must be safe
  // while the final seconds are flushed
  swarm.on('slice', () => swarm.view());
  try {
    await swarm.start({ users: 8, spawnRate: 1000 });
    await seen('/read', 1500);
    assert.equal(swarm.view().users, 8);
    assert.deepEqual(swarm.view().usersByClass, { Reader: 6, Breaker: 2 });
    await swarm.stop();
    return { r: swarm.result(), swarm };
  } finally {
    await swarm.close();
  }
}

function checkRun(r: ScenarioResult): void {
  const read = entry(r, 'read')!;
  const write = entry(r, '/write')!;
  const fail = entry(r, 'fail')!;
  assert.equal(read.type, 'DATA');
  assert.equal(write.type, 'POST');
  // onStart and onStop ran once per Reader (6 of 8 users, weights 3:1)
  assert.equal(entry(r, 'start')?.requests, 6);
  assert.equal(entry(r, 'stop')?.requests, 6);
  assert.equal(hits.get('/stop'), 6);
  // a request in flight when its user stopped was aborted: the target may have seen it, we do not count it
  for (const [name, path] of [
    ['read', '/read'],
    ['/write', '/write'],
    ['fail', '/fail'],
  ] as const) {
    const e = entry(r, name)!;
    const h = hits.get(path) ?? 0;
    assert.ok(e.requests <= h && e.requests >= h - 8, `${name}: counted ${e.requests}, target saw ${h}`);
  }
  // task weights 3:1 within 5 standard deviations
  const n = read.requests + write.requests;
  const sd = Math.sqrt(n * 0.75 * 0.25);
  assert.ok(Math.abs(read.requests - n * 0.75) < 5 * sd, `read ${read.requests} of ${n}`);
  assert.equal(fail.failures, fail.requests);
  assert.equal(read.failures + write.failures, 0);
  assert.deepEqual(r.failureRows, [
    { method: 'GET', name: 'fail', error: 'HTTP 500', occurrences: fail.failures },
  ]);
  const exceptions = r.extra.exceptions as { count: number; message: string }[];
  assert.equal(exceptions.length, 1);
  assert.equal(exceptions[0].message, 'Error: server said 500');
  assert.ok(exceptions[0].count <= fail.failures && exceptions[0].count >= fail.failures - 2);
  // exact merge: the per-second series adds up to the entries
  const sum = r.timeseries.reduce((s, x) => s + x.requests, 0);
  const fails = r.timeseries.reduce((s, x) => s + x.failures, 0);
  assert.equal(sum, r.requests);
  assert.equal(fails, r.failures);
  assert.equal(
    r.requests,
    r.entries.reduce((s, e) => s + e.requests, 0),
  );
  assert.equal(r.extra.peakUsers, 8);
  assert.deepEqual(r.extra.peakUsersByClass, { Reader: 6, Breaker: 2 });
}

describe('SwarmController', () => {
  test('users in this thread', async () => {
    const { r, swarm } = await runSwarm(1);
    checkRun(r);
    assert.equal(swarm.state, 'stopped');
    assert.equal(r.generator.workers, 1);
  });

  test('users in two worker threads (--processes 2), statistics merged exactly', async () => {
    const { r } = await runSwarm(2);
    checkRun(r);
    assert.equal(r.generator.workers, 2);
  });

  test('re-target down retires the newest users; reset clears the table; a new start is a new test', async () => {
    hits.clear();
    const file = await loadUserFile(USERS);
    const swarm = new SwarmController({ file, classNames: ['Reader'], host: server.url });
    try {
      const states: string[] = [];
      swarm.on('state', (s) => states.push(s));
      await swarm.start({ users: 4, spawnRate: 1000 });
      await seen('/read', 200);
      await swarm.start({ users: 1, spawnRate: 1000 });
      await seen('/stop', 3);
      assert.equal(swarm.view().users, 1);
      swarm.resetStats();
      assert.equal(swarm.view().result.requests, 0);
      await seen('/read', (hits.get('/read') ?? 0) + 20);
      assert.ok(swarm.view().result.requests >= 1);
      await swarm.stop();
      assert.equal(hits.get('/stop'), 4);
      await swarm.start({ users: 2, spawnRate: 1000 });
      assert.equal(swarm.view().result.requests <= 4, true, 'a new test starts from empty statistics');
      await swarm.stop();
      // spawning again while the count moves to a new target, as Locust reports it
      assert.deepEqual(states.slice(0, 6), [
        'starting',
        'spawning',
        'running',
        'spawning',
        'running',
        'stopping',
      ]);
      assert.equal(states.at(-1), 'stopped');
    } finally {
      await swarm.close();
    }
  });

  test('a LoadTestShape drives the user count and ends the test', async () => {
    hits.clear();
    const file = await loadUserFile(SHAPE);
    assert.notEqual(file.shape, null);
    const swarm = new SwarmController({ file, classNames: [], host: server.url });
    const stopped = new Promise<ScenarioResult>((resolve) => swarm.once('stopped', resolve));
    await swarm.start({ users: 1, spawnRate: 1 });
    const r = await stopped;
    assert.equal(r.extra.peakUsers, 8);
    assert.equal(swarm.state, 'stopped');
    assert.ok((hits.get('/ping') ?? 0) > 0);
  });

  test('bad start values are refused, every problem at once', async () => {
    const file = await loadUserFile(USERS);
    const swarm = new SwarmController({ file, classNames: [], host: server.url });
    await assert.rejects(
      swarm.start({ users: -1, spawnRate: 0, host: 'ftp://x' }),
      /users must be an integer 0..1000000, got -1; spawn rate must be a number > 0 users\/s, got 0; host must be an http:\/\/ or https:\/\/ URL, got 'ftp:\/\/x'/,
    );
    assert.equal(swarm.state, 'ready');
  });
});
