/**
 * Locust's tag flags take several tags after one flag (`-T read write`, nargs); before, the
 * second tag was read as a user class name, and a class name the file lacks, given with a tag
 * flag, crashed the planning ("Cannot read properties of undefined (reading 'tasks')") instead
 * of naming the class (104).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { tickstorm as run } from './support/cli.ts';

let srv: Awaited<ReturnType<typeof startPathCounter>>;
let dir: string;
let file: string;
before(async () => {
  srv = await startPathCounter();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-tags-form-'));
  file = join(dir, 'users.js');
  writeFileSync(
    file,
    `import { HttpUser, StopUser, tag, tasks } from '@tickstorm/loadlab/swarm';
export class Shop extends HttpUser {
  static tasks = tasks({ browse: 1, buy: 1, health: 1 });
  static tags = tag({ browse: ['read'], buy: ['write'] });
  n = 0;
  stopAt(k) { if (++this.n === k) throw new StopUser(); }
  async browse() { await this.client.get('/browse'); this.stopAt(8); }
  async buy() { await this.client.get('/buy'); this.stopAt(8); }
  async health() { await this.client.get('/health'); this.stopAt(8); }
}
`,
  );
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

const swarm = (...args: string[]) =>
  run([
    'swarm',
    '-f',
    file,
    '--headless',
    '-u',
    '1',
    '-r',
    '1',
    '-t',
    '2s',
    '--only-summary',
    '-H',
    srv.url,
    ...args,
  ]);

test("-T read write runs the tasks of both tags (Locust's form), none untagged", async () => {
  const r = await swarm('-T', 'read', 'write');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^GET +\/browse /m);
  assert.match(r.stdout, /^GET +\/buy /m);
  assert.doesNotMatch(r.stdout, /\/health/);
  const e = await swarm('-E', 'read', 'write');
  assert.equal(e.code, 0, e.stderr + e.stdout);
  assert.match(e.stdout, /^GET +\/health /m);
  assert.doesNotMatch(e.stdout, /\/browse|\/buy/);
});

test('a class the file lacks, with a tag flag, is named (104), not a crash', async () => {
  const r = await swarm('Nope', '-T', 'read');
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /unknown user class 'Nope' \(the file has: Shop\)/);
  assert.doesNotMatch(r.stderr, /Cannot read properties/);
});
