/**
 * The query launcher (guards/query-launcher.ts) at the edges: close() while the launcher dies
 * before it reported the query process's pid, or while the launcher could not be spawned at all,
 * ends (no hang); a message relayed to a serving process that has just died (EPIPE) does not
 * take the launcher down before it ends its query processes; a query process killed past its
 * memory bound and still exiting is not counted (nor its queries answered) again by the next RSS
 * polls. (The launcher in ordinary service: query-process.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs, { readFileSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QUERY_GUARD_DEFAULTS } from '../src/guards/query-guard.ts';
import { QueryLauncher } from '../src/guards/query-launcher.ts';
import { QueryProcess } from '../src/guards/query-process.ts';
import { alive } from './support/child-process.ts';
import {
  codeOf,
  ENDLESS,
  metricsFile,
  startQueryHost,
  until as untilWithin,
} from './support/query-process-support.ts';

/** Up to 30 s: a query process loading at SCHED_IDLE on a busy machine takes a while. */
const until = (what: string, cond: () => boolean, stepMs = 5) =>
  untilWithin(what, cond, { stepMs, timeoutMs: 30_000 });

/** Bytes waiting to be read on the Unix sockets `pid` holds (`ss`: the Recv-Q column). */
function unreadBytes(pid: number): number {
  const out = spawnSync('ss', ['-xpn'], { encoding: 'utf8' }).stdout;
  let bytes = 0;
  for (const line of out.split('\n')) {
    if (line.includes(`pid=${pid},`)) bytes += Number(line.trim().split(/\s+/)[2]);
  }
  return bytes;
}

const HAS_SS = spawnSync('ss', ['-V']).status === 0;

/** The syscalls libuv waits for events in (epoll_wait, epoll_pwait, epoll_pwait2), by CPU. */
const EPOLL_WAITS: Record<string, string[]> = { x64: ['232', '281', '441'], arm64: ['22', '441'] };

/** `pid` is blocked in its event loop's wait (the first field of /proc/PID/syscall). */
function inEventLoopWait(pid: number): boolean {
  const nr = readFileSync(`/proc/${pid}/syscall`, 'latin1').split(' ')[0]!;
  return (EPOLL_WAITS[process.arch] ?? []).includes(nr);
}

describe('the query launcher at the edges', () => {
  let dir: string;
  let path: string;
  before(async () => {
    ({ dir, path } = await metricsFile('tickstorm-query-launcher-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('close() while the launcher dies before it forked the query process: close() ends', {
    timeout: 20_000,
  }, async () => {
    const qp = new QueryProcess({ path, limits: QUERY_GUARD_DEFAULTS });
    qp.start(); // the launcher spawned; the fork asked for, its pid not known yet
    const launcherPid = qp.stats().launcherPid!;
    assert.ok(launcherPid > 0);
    assert.equal(qp.stats().pid, null);
    try {
      const closing = qp.close();
      process.kill(launcherPid, 'SIGKILL'); // before it read the fork: the query process never starts
      await closing;
      assert.equal(qp.stats().launcherPid, null);
    } finally {
      if (alive(launcherPid)) process.kill(launcherPid, 'SIGKILL');
    }
  });

  test('close() right after the launcher could not be spawned: close() ends', {
    timeout: 20_000,
  }, async () => {
    const launcher = new QueryLauncher();
    const execPath = process.execPath;
    let failed: Error | null = null;
    try {
      process.execPath = join(dir, 'no-such-node'); // spawn fails (ENOENT): 'error', never 'exit'
      launcher.fork(join(dir, 'never-loaded.js'), [], { execArgv: [] }).on('error', (e) => {
        failed = e;
      });
    } finally {
      process.execPath = execPath;
    }
    await launcher.close();
    assert.match(String(failed), /could not be started/);
    assert.equal(launcher.pid, null);
  });

  test('a message relayed to a serving process that just died (EPIPE): the launcher still ends its query process', {
    skip:
      !HAS_SS || EPOLL_WAITS[process.arch] === undefined
        ? 'needs ss(8) and a known epoll_wait syscall number'
        : false,
    timeout: 90_000,
  }, async () => {
    // A host (the serving process) starts a query process and prints its pid and the launcher's.
    // The launcher is stopped while the query process loads; its 'ready' then waits, unread, on
    // the launcher's socket, ahead of the host's end of channel in the launcher's epoll. The query process is stopped too (as one stuck in a query would
    // be), the host killed -9, and the launcher continued: it reads the 'ready' first and relays
    // it to the dead host (EPIPE), then finds its channel closed and must end the query process
    // (SIGKILL 2 s after closing its channel).
    const { host, pid, launcherPid, exited: hostExited } = await startQueryHost(path, 'loading', 'pipe');
    let stderr = '';
    host.stderr!.on('data', (d) => {
      stderr += String(d); // the launcher's too (inherited), after the host died
    });
    try {
      // Stopped in its event loop's wait (after the fork's callback, so the query process's
      // channel is polled, and polled before the host's): at idle priority on a busy machine it
      // may not have got back there yet, so it is continued and stopped again until it has.
      await until('the launcher stopped in its wait for events', () => {
        process.kill(launcherPid, 'SIGSTOP');
        if (inEventLoopWait(launcherPid)) return true;
        process.kill(launcherPid, 'SIGCONT');
        return false;
      });
      await until(
        "the query process's 'ready' queued on the stopped launcher",
        () => unreadBytes(launcherPid) > 0,
        50, // each check runs ss(8)
      );
      process.kill(pid, 'SIGSTOP');
      host.kill('SIGKILL');
      await hostExited;
      process.kill(launcherPid, 'SIGCONT');
      await until('the launcher gone', () => !alive(launcherPid));
      await until('the stopped query process killed by the launcher', () => !alive(pid));
      assert.doesNotMatch(stderr, /EPIPE|Unhandled 'error'/);
    } finally {
      host.kill('SIGKILL');
      for (const p of [pid, launcherPid]) {
        if (alive(p)) process.kill(p, 'SIGKILL');
      }
    }
  });

  test('a query process killed past its memory bound and still exiting: the next RSS polls leave it be', {
    timeout: 60_000,
  }, async () => {
    // Its SIGKILL is held back here (a large process takes a while to exit, and its 'exit' comes
    // through the launcher), and the /proc reads of its RSS counted. Two queries ran at the kill:
    // one that still answers from the dying process, and one that runs on. The polls after the
    // kill must neither count a second memory kill nor answer the one left 422 as if it had run
    // alone: it is answered 503, as the kill said.
    const qp = new QueryProcess({
      path,
      limits: { ...QUERY_GUARD_DEFAULTS, timeoutMs: 20_000 },
      rssLimitMb: 1,
      rssPollMs: 5,
    });
    const realKill = process.kill;
    const realRead = fs.readFileSync;
    let pid = 0;
    let held = 0;
    let reads = 0;
    const restore = () => {
      process.kill = realKill;
      fs.readFileSync = realRead;
      syncBuiltinESMExports();
    };
    try {
      qp.start();
      await until('the query process forked', () => qp.stats().pid !== null);
      pid = qp.stats().pid!;
      process.kill = ((p: number, signal?: string | number) => {
        if (p === pid && signal === 'SIGKILL') {
          held++;
          return true;
        }
        return realKill.call(process, p, signal);
      }) as typeof process.kill;
      fs.readFileSync = ((...args: Parameters<typeof fs.readFileSync>) => {
        if (args[0] === `/proc/${pid}/statm`) reads++;
        return realRead(...args);
      }) as typeof fs.readFileSync;
      syncBuiltinESMExports();
      const short = qp.query('SELECT count(*) AS n FROM range(300000000)');
      const endless = codeOf(qp.query(ENDLESS));
      await until('the memory kill', () => held > 0);
      const r = await short;
      assert.equal((await r.stream.collect()).toString(), '{"rows":[{"n":300000000}],"truncated":false}');
      const seen = reads;
      // The spare took over at the kill: the polls read the new process (they stop while it
      // runs nothing), never the one exiting.
      await until(
        'three more RSS polls, the spare took over (or the query left answered)',
        () => reads >= seen + 3 || qp.stats().pid !== pid || qp.stats().sent === 0,
      );
      assert.equal(qp.stats().tooLarge, 0, 'the query left answered 422 as if it had run alone');
      assert.equal(qp.stats().memoryKills, 1);
      assert.equal(qp.stats().sent, 1, 'the query left is not answered while its process exits');
      restore();
      process.kill(pid, 'SIGKILL');
      const err = await endless;
      assert.equal(err.code, 'TRD_ERR_QUERY_UNAVAILABLE');
      assert.match(err.message, /memory bound/);
      assert.equal(qp.stats().memoryKills, 1);
      assert.equal(qp.stats().tooLarge, 0);
    } finally {
      restore();
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
      await qp.close();
    }
  });
});
