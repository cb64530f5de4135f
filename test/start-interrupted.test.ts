/**
 * `tickstorm start` interrupted as a terminal does it: the signal goes to the whole foreground
 * process group (Ctrl-C: SIGINT; a closed terminal: SIGHUP). Before, the trading system, a
 * child in that group, took the signal itself and stopped while the load still ran (an
 * interrupted run reported POST /orders failures ECONNREFUSED, and its log said "SIGINT:
 * stopping"), and a SIGHUP killed `start` on the spot. Now the system runs in a session of its
 * own: `start` stops the load, reports, stops the system with SIGTERM, and exits 105 (k6's
 * "interrupted"); nothing of the group is left running.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BIN } from './support/cli.ts';

const ON_TERMINAL = join(import.meta.dirname, '../packages/trading/test/support/python/on_terminal.py');

/** `tickstorm start`'s arguments for a run of `duration` with its files under `dir`. */
function startArgs(dir: string, duration: string): string[] {
  const out = join(dir, 'results');
  return [
    'start',
    '--free-ports',
    '--no-bench',
    '--duration',
    duration,
    '--out',
    out,
    '--data-dir',
    join(dir, 'data'),
  ];
}

/** Pids of the running (not zombie) processes whose process group is `pgid`. */
function runningInGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

describe('tickstorm start interrupted from its terminal', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const systems: number[] = [];
  after(() => {
    for (const c of children) if (c.pid !== undefined && alive(c.pid)) process.kill(-c.pid, 'SIGKILL');
    for (const pid of systems) if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /**
   * Starts `tickstorm start` in a process group of its own (as a shell gives a foreground job),
   * output piped; resolves once `ready(stdout, stderr)` holds.
   */
  async function startPiped(prefix: string, ready: (stdout: string, stderr: string) => boolean) {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    const out = join(dir, 'results');
    const child = spawn(process.execPath, [BIN, ...startArgs(dir, '60s')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    const closed = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('close', (code, sig) => resolve({ code, signal: sig })),
    );
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (ready(stdout, stderr)) resolve();
      };
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        check();
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        check();
      });
      child.once('close', () => reject(new Error(`ended before it ran:\n${stdout}\n${stderr}`)));
    });
    const system = Number(/pid (\d+), every \/health answered/.exec(stdout)?.[1]);
    systems.push(system);
    return { child, out, closed, system, stdout: () => stdout, stderr: () => stderr };
  }

  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    test(`${signal} to the process group: the load stops first, the system gets SIGTERM, exit 105`, {
      timeout: 180_000,
    }, async () => {
      // the first scenario has sent orders: its progress line on stderr counts requests
      const { child, out, closed, system, stdout, stderr } = await startPiped(
        'tickstorm-start-int-',
        (o, e) => /\[2\/4\]/.test(o) && /req/.test(e),
      );
      process.kill(-child.pid!, signal);
      const end = await closed;
      assert.deepEqual(end, { code: 105, signal: null }, `${stdout()}\n${stderr()}`);
      assert.match(stdout(), /stopped cleanly/);
      assert.equal(alive(system), false, 'the system is gone');
      assert.deepEqual(runningInGroup(child.pid!), [], 'nothing of the group left running');
      const log = readFileSync(join(out, 'system.log'), 'utf8');
      assert.match(log, /^SIGTERM: stopping/m, 'stopped by start, after the load');
      assert.doesNotMatch(log, /^SIG(INT|HUP): stopping/m, 'not by the terminal signal itself');
      const failures = join(out, 'locust_market-data-flood_failures.csv');
      if (existsSync(failures)) assert.doesNotMatch(readFileSync(failures, 'utf8'), /ECONNREFUSED/);
    });
  }

  test("stdout's reader gone (tickstorm start | head): the run goes on; SIGINT then stops it gracefully, 105", {
    timeout: 180_000,
  }, async () => {
    // start's lines to a closed pipe fail (EPIPE): dropped, as for any command (../src/cli/main.ts);
    // not thrown by start's own hang-up listener (src/cli/commands/hangup.ts)
    const { child, out, closed, stderr } = await startPiped('tickstorm-start-pipe-', (o) =>
      /\[2\/4\]/.test(o),
    );
    child.stdout!.destroy();
    process.kill(-child.pid!, 'SIGINT');
    const end = await closed;
    assert.deepEqual(end, { code: 105, signal: null }, stderr());
    assert.doesNotMatch(stderr(), /EPIPE/);
    assert.match(readFileSync(join(out, 'system.log'), 'utf8'), /^stopped cleanly/m);
  });
});

/**
 * Ctrl-C while `start` stops the system after a run that ended by itself ([4/4]): before, start
 * no longer listened then, the early listener (src/cli/early-interrupt.mjs) exited 105 at once
 * and its exit handler SIGKILLed the system in the middle of its graceful stop (its flush of
 * logs and metrics cut). Now a first Ctrl-C there lets the graceful stop end (a second one
 * quits at once, as docs/load-lab.md says), then exits 105.
 */
describe('tickstorm start: Ctrl-C while it stops the system', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.pid !== undefined && alive(c.pid)) process.kill(-c.pid, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('a first SIGINT during [4/4] waits for the graceful stop, then exits 105', {
    timeout: 180_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-start-stop-int-'));
    dirs.push(dir);
    const out = join(dir, 'results');
    const child = spawn(process.execPath, [BIN, ...startArgs(dir, '1s')], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!sent && /\[4\/4\] Stopping the trading system/.test(stdout)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const end = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('close', (code, sig) => resolve({ code, signal: sig })),
    );
    assert.equal(sent, true, `${stdout}\n${stderr}`);
    assert.deepEqual(end, { code: 105, signal: null }, `${stdout}\n${stderr}`);
    assert.match(stdout, /stopped cleanly/, 'the graceful stop ended');
    const system = Number(/pid (\d+), every \/health answered/.exec(stdout)?.[1]);
    assert.equal(alive(system), false, 'the system is gone');
    assert.match(readFileSync(join(out, 'system.log'), 'utf8'), /^stopped cleanly/m);
  });
});

/**
 * Its terminal closed (SIGHUP) and a stop (SIGTERM), in either order: start exits 105.
 * - Closed, then SIGTERM, the second signal, which exits at once: that exit left the hung-up
 *   terminal's descriptors open, and Node 20 aborts at exit when it cannot restore their modes
 *   (src/cli/commands/hangup.ts): SIGABRT or SIGSEGV instead of 105.
 * - SIGTERM handled after the hang-up (the terminal stalled, then closed): its "stopping" line
 *   failed (EIO) before the SIGHUP was handled, an uncaught error whose exit aborted likewise.
 *   That SIGHUP, the stop begun, is not a second signal: the graceful stop goes on (as serve's).
 */
describe('tickstorm start: its terminal closed and a stop, in either order', () => {
  const dirs: string[] = [];
  const pids: number[] = [];
  after(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /**
   * Runs start on a terminal until [2/4], then `end`s it: "EXIT <code>" or "SIGNAL <name>" (with
   * what it printed when not 105), and the system's log.
   */
  async function startOnTerminal(
    end: (term: ChildProcess, start: number) => void,
  ): Promise<{ how: string; systemLog: () => string }> {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-start-hup-'));
    dirs.push(dir);
    const term = spawn('/usr/bin/python3', [ON_TERMINAL, process.execPath, BIN, ...startArgs(dir, '60s')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ON_TERMINAL_READY: '[2/4]' },
    });
    if (term.pid !== undefined) pids.push(term.pid);
    let out = '';
    let err = '';
    term.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    term.stdout!.setEncoding('utf8');
    const ready = new Promise<void>((resolve, reject) => {
      term.stdout!.on('data', (d: string) => {
        out += d;
        if (out.includes('\nREADY\n')) resolve();
      });
      term.once('close', () => reject(new Error(`no READY: ${out} ${err}`)));
    });
    const ended = new Promise<string>((resolve) => {
      term.stdout!.on('data', () => {
        const m = /^(EXIT \d+|SIGNAL \w+)$/m.exec(out);
        if (m !== null) resolve(m[1]!);
      });
      term.once('close', () => resolve(`closed: ${out} ${err}`));
    });
    await ready;
    const start = Number(/^CHILD (\d+)$/m.exec(out)?.[1]);
    pids.push(start);
    const system = Number(/pid (\d+), every \/health answered/.exec(out)?.[1]);
    if (system > 0) pids.push(system);
    end(term, start);
    const how = await ended;
    return {
      how: how === 'EXIT 105' ? how : `${how}\n${out}\n${err}`,
      systemLog: () => readFileSync(join(dir, 'results', 'system.log'), 'utf8'),
    };
  }

  test('closed, then SIGTERM (the second signal): exits 105, not by an abort at exit', {
    timeout: 180_000,
  }, async () => {
    const { how } = await startOnTerminal((term, start) => {
      term.stdin!.end('close\n');
      process.kill(start, 'SIGTERM');
    });
    assert.equal(how, 'EXIT 105');
  });

  test('SIGTERM while its output blocks on a stalled terminal that then closes: the stop goes on, 105', {
    timeout: 180_000,
  }, async () => {
    // the terminal stops its output (Ctrl-S): the progress line blocks start's main thread; the
    // SIGTERM is handled after the hang-up, its "stopping" line failing (EIO) before the SIGHUP,
    // which, the stop begun, is not a second signal: the system is stopped gracefully
    const { how, systemLog } = await startOnTerminal((term) =>
      term.stdin!.end('pause\nblocked\nsignal SIGTERM\nclose\n'),
    );
    assert.equal(how, 'EXIT 105');
    assert.match(systemLog(), /^stopped cleanly/m);
  });
});
