/**
 * A process killed and not yet reaped by its parent (a zombie: `kill -9` then a restart at
 * once, before the parent's wait) is gone for the data directory's lock and the role leases
 * (persistence/process-identity.ts). Before, `kill(pid, 0)` succeeded on the zombie and its
 * start time still matched, so a restart at once was refused TRD_ERR_DATA_DIR_IN_USE.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, test } from 'node:test';
import { LOCK_FILE, lockDataDir } from '../src/persistence/dir-lock.ts';
import {
  goneFromHere,
  ownIdentity,
  processAlive,
  processStartTime,
} from '../src/persistence/process-identity.ts';

const children: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A parent that forks a child which exits at once and is never waited for: a zombie, named. */
async function zombie(): Promise<{ parent: number; pid: number }> {
  const py = spawn(
    '/usr/bin/python3',
    ['-c', 'import os,sys\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid, flush=True)\nsys.stdin.read()'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.push(py);
  const [line] = await createInterface({ input: py.stdout! })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value]);
  const pid = Number(line);
  // the child's exit is the kernel's to finish: read its state until it is the zombie
  for (;;) {
    const state = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.[0];
    if (state === 'Z') break;
    await new Promise((r) => setImmediate(r));
  }
  return { parent: py.pid!, pid };
}

test('a zombie is not alive; its parent is', async () => {
  const z = await zombie();
  const started = processStartTime(z.pid);
  assert.notEqual(started, '', 'a zombie still has its /proc entry');
  assert.equal(processAlive(z.pid, started), false);
  assert.equal(processAlive(z.parent, processStartTime(z.parent)), true);
  const me = ownIdentity();
  assert.equal(
    goneFromHere({ ...me, pid: z.pid, started }),
    true,
    'a lease holder that is a zombie here is gone',
  );
  assert.equal(goneFromHere({ ...me, pid: z.parent, started: processStartTime(z.parent) }), false);
  assert.equal(
    goneFromHere({ ...me, pid: z.pid, started, bootId: 'another-boot' }),
    false,
    'never judged from another boot',
  );
});

test('a data directory locked by a zombie is taken over', async () => {
  const z = await zombie();
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-zombie-lock-'));
  dirs.push(dir);
  writeFileSync(join(dir, LOCK_FILE), `${z.pid} ${processStartTime(z.pid)}\n`);
  const lock = lockDataDir(dir);
  assert.match(readFileSync(join(dir, LOCK_FILE), 'utf8'), new RegExp(`^${process.pid} `));
  lock.release();
});
