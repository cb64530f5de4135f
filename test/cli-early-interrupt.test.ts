/**
 * Ctrl-C (SIGINT) or SIGTERM as soon as `tickstorm run`, `swarm` or `start` handles a signal
 * at all, before it printed anything: the modules were still loading (a second or more) and no
 * command listened yet, so node's default ended the process by the signal (130 or 143 in a
 * shell), where their --help says 105, "interrupted". Now bin/tickstorm.js listens first thing
 * (src/cli/early-interrupt.mjs): 105, one line, no stack trace, nothing left running. And
 * `start` interrupted while its trading system starts: before, it died by the signal and left
 * the system (a session of its own) running; now it stops it (SIGTERM) and exits 105.
 *
 * The signal is sent when the child has its first listener for it, or while it loads the CLI's
 * modules (support/interrupt-points.mjs says so on file descriptor 3): not a guess at a time.
 * (Before node runs any JavaScript, its first few tens of ms, no process can answer a signal.)
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT_ABORTED } from '@tickstorm/loadlab/exit-codes';
import { EXIT_INTERRUPTED } from '../src/cli/early-interrupt.mjs';
import { BIN } from './support/cli.ts';

const HOOK = fileURLToPath(new URL('./support/interrupt-points.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tickstorm-early-int-'));
const children: ChildProcess[] = [];
// the target of `tickstorm http` (never reached when the interrupt comes first)
const target = createServer((_, res) => res.end('ok'));
const listening = new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
after(() => {
  target.closeAllConnections();
  target.close();
  for (const c of children) if (c.pid !== undefined && running(c.pid)) process.kill(-c.pid, 'SIGKILL');
  for (const pid of holding(dir)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

/** Running processes of process group `pgid`, and those whose command line names `path`. */
function inGroup(pgid: number): number[] {
  return procs().filter((pid) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(pgrp) === pgid && state !== 'Z';
  });
}
function holding(path: string): number[] {
  return procs().filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(path));
}
function procs(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      readFileSync(`/proc/${name}/stat`, 'latin1');
      readFileSync(`/proc/${name}/cmdline`, 'latin1');
      out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * Starts `tickstorm ARGS` in a process group of its own (as a shell's foreground job), sends
 * `signal` when `when(fd3, stdout)` says, and resolves with how it ended and what it printed
 * (`before`: its stdout and stderr when the signal went).
 */
function interrupt(
  args: string[],
  signal: NodeJS.Signals,
  when: (fd3: string, stdout: string) => boolean,
): Promise<{ code: number | null; by: string | null; stdout: string; stderr: string; before: string }> {
  const child = spawn(process.execPath, ['--import', HOOK, BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  children.push(child);
  let fd3 = '';
  let stdout = '';
  let stderr = '';
  let before: string | undefined;
  const check = () => {
    if (before === undefined && when(fd3, stdout)) {
      before = stdout + stderr;
      child.kill(signal);
    }
  };
  (child.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => {
    fd3 += d;
    check();
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) =>
    child.once('close', (code, by) =>
      resolve({ code, by, stdout, stderr, before: before ?? '(the signal was never sent)' }),
    ),
  );
}

test("the early listener's code is the lab's 'interrupted' (it cannot import it: nothing is compiled yet)", () => {
  assert.equal(EXIT_INTERRUPTED, EXIT_ABORTED);
});

const script = join(dir, 'load.js');
writeFileSync(script, 'export default async function () {}\n');
const users = join(dir, 'users.ts');
writeFileSync(users, 'export {};\n');

const cases: [string, string[], NodeJS.Signals][] = [
  ['run FILE', ['run', script, '--iterations', '1'], 'SIGINT'],
  ['run FILE', ['run', script, '--iterations', '1'], 'SIGTERM'],
  ['swarm', ['swarm', '-f', users, '--headless', '-u', '1', '-r', '1', '-t', '1s'], 'SIGINT'],
  ['swarm', ['swarm', '-f', users, '--headless', '-u', '1', '-r', '1', '-t', '1s'], 'SIGTERM'],
  [
    'start',
    ['start', '--free-ports', '--no-bench', '--out', join(dir, 'r0'), '--data-dir', join(dir, 'd0')],
    'SIGINT',
  ],
];
for (const [name, args, signal] of cases)
  test(`${name}: ${signal} as soon as it listens, before it printed anything: exit 105, one line, nothing left running`, async () => {
    const r = await interrupt(args, signal, (fd3) => fd3.includes(`listening ${signal}`));
    assert.equal(r.before, '');
    assert.deepEqual({ code: r.code, by: r.by }, { code: 105, by: null }, r.stdout + r.stderr);
    assert.equal(r.stderr, `\ntickstorm ${args[0]}: interrupted (${signal})\n`);
    assert.equal(r.stdout, '');
    const pid = children[children.length - 1].pid!;
    assert.deepEqual(inGroup(pid), []);
  });

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  test(`run FILE: ${signal} while the CLI's modules load (no command's listener yet): exit 105, no stack trace`, async () => {
    const r = await interrupt(['run', script, '--iterations', '1'], signal, (fd3) =>
      fd3.includes('resolved commander'),
    );
    assert.equal(r.before, '');
    assert.deepEqual({ code: r.code, by: r.by }, { code: 105, by: null }, r.stdout + r.stderr);
    assert.match(r.stderr, /interrupted|stopping/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.deepEqual(inGroup(children[children.length - 1].pid!), []);
  });

test('start: SIGINT while the trading system starts stops it (SIGTERM) and exits 105; the system is not left running', {
  timeout: 120_000,
}, async () => {
  const data = join(dir, 'd1');
  const r = await interrupt(
    ['start', '--free-ports', '--no-bench', '--out', join(dir, 'r1'), '--data-dir', data],
    'SIGINT',
    (_, stdout) => /\[1\/4\] Starting the trading system/.test(stdout),
  );
  assert.deepEqual({ code: r.code, by: r.by }, { code: 105, by: null }, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /tickstorm start: interrupted while the trading system started: it was stopped, nothing ran/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // the system ran in a session of its own: nothing names its data directory any more
  assert.deepEqual(holding(data), []);
  assert.deepEqual(inGroup(children[children.length - 1].pid!), []);
  // stopped gracefully: its SIGTERM waited for it to listen for one (its pid line), where it
  // used to come while its modules loaded and end it by the signal (no flush, lock left)
  const log = readFileSync(join(dir, 'r1', 'system.log'), 'utf8');
  assert.match(log, /^SIGTERM: stopping/m, log);
  assert.match(log, /^stopped cleanly/m, log);
});

/**
 * `tickstorm http`: its --help says Ctrl-C or SIGTERM ends the run early with the summary,
 * exit 0. Before it listened itself (its modules loading, the target's checks) the signal ended
 * it by the signal (130 or 143 in a shell); now it exits 0 with one line saying nothing ran
 * (there is no summary of nothing, and --json writes no file).
 */
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  for (const [point, when] of [
    ['as soon as it listens', (fd3: string) => fd3.includes(`listening ${signal}`)],
    ["while the CLI's modules load", (fd3: string) => fd3.includes('resolved commander')],
  ] as const)
    test(`http: ${signal} ${point}, before the run began: exit 0, one line, no summary, no --json`, async () => {
      await listening;
      const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
      const json = join(dir, `http-${signal}-${point.length}.json`);
      const r = await interrupt(['http', url, '-c', '1', '-d', '30', '--json', json], signal, when);
      assert.equal(r.before, '');
      assert.deepEqual({ code: r.code, by: r.by }, { code: 0, by: null }, r.stdout + r.stderr);
      assert.equal(r.stderr, `\ntickstorm http: interrupted (${signal}) before the run began: nothing ran\n`);
      assert.equal(r.stdout, '');
      assert.equal(existsSync(json), false);
      assert.deepEqual(inGroup(children[children.length - 1].pid!), []);
    });

/**
 * A second Ctrl-C while the event loop is busy: swarm listens once (its first Ctrl-C stops the
 * users), so node's default ended the process by the second one at once. The early listener,
 * still there, took it instead, and a listener only runs when the loop turns: with a user's
 * onStop in a loop, swarm quit only when the loop ended. Now the early listener leaves once
 * the command took an interrupt: the second one ends it by the signal, at once.
 */
test("swarm: a second SIGINT while a user's onStop keeps the event loop busy ends it at once, by the signal", {
  timeout: 60_000,
}, async () => {
  const busy = join(dir, 'busy-users.ts');
  writeFileSync(
    busy,
    `import { constant, tasks, User } from '@tickstorm/loadlab/swarm';
export class Busy extends User {
  static tasks = tasks<Busy>({ tick: 1 });
  waitTime = constant(0.05);
  async tick() {
    console.error('TICK');
  }
  async onStop() {
    console.error('BUSY');
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000) {}
  }
}
`,
  );
  const child = spawn(
    process.execPath,
    [BIN, 'swarm', '-f', busy, '--headless', '-u', '1', '-r', '1', '-t', '60s', '-H', 'http://127.0.0.1:9'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  children.push(child);
  let stderr = '';
  let sent = 0;
  let secondAt = 0;
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (sent === 0 && stderr.includes('TICK')) {
      sent = 1;
      child.kill('SIGINT');
    } else if (sent === 1 && stderr.includes('BUSY')) {
      sent = 2;
      secondAt = Date.now();
      child.kill('SIGINT');
    }
  });
  const end = await new Promise<{ code: number | null; by: string | null }>((resolve) =>
    child.once('close', (code, by) => resolve({ code, by })),
  );
  assert.equal(sent, 2, stderr);
  assert.deepEqual(end, { code: null, by: 'SIGINT' }, stderr);
  // well before the 20 s loop would have ended
  assert.ok(Date.now() - secondAt < 10_000, `${Date.now() - secondAt} ms`);
});
