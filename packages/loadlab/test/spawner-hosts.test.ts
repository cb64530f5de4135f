/**
 * Spawner: users go to the least-loaded live host (ties round-robin, so a ramp spreads evenly);
 * a host added mid-test gets the next new users; `rebalance` moves the newest users of the
 * fullest hosts to it until no two live hosts differ by more than 1, keeping classes and the
 * total; a dropped host's users come back on the others.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClassMix } from '../src/swarm/class-mix.ts';
import { Spawner } from '../src/swarm/spawner.ts';
import type { HostSnapshot, UserHost } from '../src/swarm/user-host.ts';

/** A host that records what it was told: users by class, and user ids. */
class Recorder implements UserHost {
  gone = false;
  readonly byClass = [0, 0];
  readonly ids: number[] = [];
  spawn(cls: number, userId: number): void {
    this.byClass[cls]++;
    this.ids.push(userId);
  }
  retire(cls: number): void {
    assert.ok(this.byClass[cls] > 0, 'retires only a class it runs');
    this.byClass[cls]--;
  }
  resetStats(): void {}
  snapshot(): HostSnapshot {
    return {
      stats: { entries: [], failures: [] },
      exceptions: [],
      users: this.users,
      usersByClass: this.byClass,
    };
  }
  get users(): number {
    return this.byClass[0] + this.byClass[1];
  }
  async stop(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A spawner over `n` hosts, classes A:B weighted 3:1, and a way to await its settling. */
function setup(n: number) {
  const hosts: UserHost[] = Array.from({ length: n }, () => new Recorder());
  let settled: () => void = () => undefined;
  const s = new Spawner(
    new ClassMix([
      { weight: 3, fixedCount: 0 },
      { weight: 1, fixedCount: 0 },
    ]),
    hosts,
    2,
    () => 'http://h',
    () => settled(),
  );
  const to = (users: number) =>
    new Promise<void>((resolve) => {
      settled = resolve;
      s.retarget(users, 1e6);
    });
  return { s, hosts: hosts as Recorder[], to };
}

test('a ramp spreads evenly (±1) in round-robin order', async () => {
  const { s, hosts, to } = setup(3);
  await to(7);
  assert.deepEqual(
    hosts.map((h) => h.users),
    [3, 2, 2],
  );
  assert.deepEqual(s.perHost, [3, 2, 2]);
  await to(3);
  assert.equal(s.users, 3);
  assert.deepEqual(s.perHost, [1, 1, 1], 'the newest users retire first');
});

test('a host added at a plateau gets the next new users, then the ramp stays even', async () => {
  const { s, hosts, to } = setup(1);
  await to(10);
  const late = new Recorder();
  s.addHost(late);
  assert.equal(hosts.length, 2, 'the shared hosts array holds the new host');
  assert.equal(late.users, 0, 'nothing moves at a plateau');
  await to(14);
  assert.equal(late.users, 4, 'the 4 new users all go to the emptier host');
  await to(20);
  assert.deepEqual(s.perHost, [10, 10]);
  assert.equal(s.counts[0] + s.counts[1], 20);
});

test('a ramp down after a late join retires from the fullest host, keeping the classes of a ramp', async () => {
  const { s, hosts, to } = setup(1);
  await to(10);
  const late = new Recorder();
  s.addHost(late);
  await to(14);
  assert.deepEqual(s.perHost, [10, 4]);
  await to(10);
  // newest first would have taken the late host's 4 (10 / 0); the fullest host gives them up
  assert.deepEqual(s.perHost, [6, 4]);
  assert.deepEqual(
    hosts.map((h) => h.users),
    [6, 4],
  );
  const fresh = setup(2);
  await fresh.to(10);
  assert.deepEqual(s.counts, fresh.s.counts, 'the classes of 10 users spawned from 0');
  await to(4);
  assert.deepEqual(s.perHost, [2, 2]);
  await to(0);
  assert.deepEqual(s.perHost, [0, 0]);
  assert.deepEqual(
    hosts.map((h) => h.users),
    [0, 0],
  );
});

test('rebalance moves the newest users of the fullest hosts, keeping classes and the total', async () => {
  const { s, hosts, to } = setup(2);
  await to(21);
  const before = [...s.counts];
  const late = new Recorder();
  s.addHost(late);
  const moved = s.rebalance();
  assert.equal(moved, 7);
  assert.deepEqual(s.perHost, [7, 7, 7]);
  assert.deepEqual(
    hosts.map((h) => h.users),
    [7, 7, 7],
  );
  assert.deepEqual(s.counts, before, 'users per class unchanged');
  assert.deepEqual(
    [0, 1].map((c) => hosts.reduce((a, h) => a + h.byClass[c], 0)),
    before,
    'the hosts run the same classes as before',
  );
  assert.equal(new Set(hosts.flatMap((h) => h.ids)).size, 21 + 7, 'moved users get fresh ids');
  assert.equal(s.rebalance(), 0, 'even already: nothing moves');
});

test('rebalance skips hosts that are gone; a dropped host is respawned on the least loaded', async () => {
  const { s, hosts, to } = setup(3);
  await to(9);
  hosts[0].gone = true;
  assert.equal(s.dropHost(hosts[0]), 3);
  await to(9);
  assert.equal(s.perHost[0], 0);
  assert.equal(s.perHost[1] + s.perHost[2], 9);
  assert.ok(Math.abs(s.perHost[1] - s.perHost[2]) <= 1);
  const late = new Recorder();
  s.addHost(late);
  s.rebalance();
  assert.deepEqual(s.perHost.slice(1).sort(), [3, 3, 3]);
  assert.equal(hosts[0].users, 3, 'nothing is sent to a gone host');
});

test('rebalance over many users and two new hosts: the fewest move, evenly', async () => {
  const { s, hosts, to } = setup(1);
  await to(10_000);
  const before = [...s.counts];
  s.addHost(new Recorder());
  s.addHost(new Recorder());
  assert.equal(s.rebalance(), 6666);
  assert.deepEqual(s.perHost, [3334, 3333, 3333]);
  assert.deepEqual(
    hosts.map((h) => h.users),
    [3334, 3333, 3333],
  );
  assert.deepEqual(s.counts, before);
  assert.equal(s.users, 10_000);
  await to(10_002);
  assert.deepEqual(s.perHost, [3334, 3334, 3334], 'then the ramp fills the emptier hosts');
});
