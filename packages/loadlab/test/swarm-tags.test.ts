import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSwarm, runSwarmSession } from '@tickstorm/loadlab';
import { filterTasks, type UserClass } from '@tickstorm/loadlab/swarm';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { Auditor, Shopper } from './fixtures/tagged-users.ts';

const FILE = new URL('./fixtures/tagged-users.ts', import.meta.url).pathname;

test('filterTasks: --tags keeps tasks with a listed tag, --exclude-tags drops them (Locust)', () => {
  const s = Shopper as unknown as UserClass;
  assert.deepEqual(Object.keys(filterTasks(s, undefined)), ['browse', 'buy', 'health']);
  assert.deepEqual(Object.keys(filterTasks(s, { tags: ['read'] })), ['browse']);
  assert.deepEqual(Object.keys(filterTasks(s, { tags: ['read', 'write'] })), ['browse', 'buy']);
  assert.deepEqual(Object.keys(filterTasks(s, { excludeTags: ['trade'] })), ['browse', 'health']);
  assert.deepEqual(Object.keys(filterTasks(s, { tags: ['read'], excludeTags: ['read'] })), []);
  assert.deepEqual(Object.keys(filterTasks(Auditor as unknown as UserClass, { tags: ['trade'] })), []);
});

const base = {
  locustfile: FILE,
  classes: [] as string[],
  classPicker: false,
  users: '2',
  spawnRate: '100',
  runTime: '1s',
  headless: true,
  host: 'http://127.0.0.1:9',
  defaultHost: 'http://127.0.0.1:9',
  processes: '1',
  webHost: '127.0.0.1',
  webPort: '0',
  autostart: false,
  thresholds: [],
  files: {},
  onlySummary: true,
  seed: '1',
  requestTimeout: '5s',
};

test('planSwarm: classes left with no task drop out; nothing left is exit 104', async () => {
  const a = await planSwarm({ ...base, tags: ['trade'] });
  assert.deepEqual(a.problems, []);
  assert.deepEqual(a.plan?.classNames, ['Shopper']);
  assert.deepEqual(a.plan?.taskFilter, { tags: ['trade'], excludeTags: undefined });
  const b = await planSwarm({ ...base, tags: ['nope'] });
  assert.equal(b.plan, null);
  assert.match(b.problems.join(), /leave no task to run/);
  const c = await planSwarm({ ...base, classes: ['Auditor'], excludeTags: ['read'] });
  assert.match(c.problems.join(), /leave no task/);
});

test('a swarm with --exclude-tags never runs the excluded tasks', async () => {
  const srv = await startPathCounter();
  try {
    const { plan } = await planSwarm({
      ...base,
      host: srv.url.replace(/\/$/, ''),
      excludeTags: ['trade,write'],
      classes: ['Shopper'],
      runTime: '1s',
    });
    assert.ok(plan);
    const lines: string[] = [];
    const code = await runSwarmSession(plan, {
      version: 't',
      out: (t: string) => lines.push(t),
      err: () => {},
    });
    assert.equal(code, 0);
    assert.ok((srv.paths.get('/browse') ?? 0) > 0);
    assert.ok((srv.paths.get('/health') ?? 0) > 0);
    assert.equal(srv.paths.get('/buy') ?? 0, 0);
  } finally {
    await srv.close();
  }
});
