/**
 * SIGHUP, what a closed terminal (a terminal window, an ssh session, a tmux pane) sends to the
 * `tickstorm serve` it ran: a graceful stop like SIGTERM's (journal flushed and closed, a
 * snapshot, exit 0). Before, node's default action killed the process on the spot ("SIGNAL
 * SIGHUP", no "stopped cleanly"). On a real pseudo-terminal the stop must also survive its
 * output failing (EIO: the terminal is gone).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  alive,
  parseUrls,
  REPO_ROOT,
  serveSandbox,
  TICKSTORM,
  ZERO_PORT_FLAGS,
} from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

const ON_TERMINAL = join(REPO_ROOT, 'packages/trading/test/support/python/on_terminal.py');

describe('tickstorm serve on SIGHUP', () => {
  const box = serveSandbox('tickstorm-sighup-');
  const http = new Http();
  const pids: number[] = [];
  after(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await http.close();
    await box.cleanup();
  });

  test('SIGHUP stops gracefully: exit 0, "stopped cleanly", the order kept', {
    timeout: 120_000,
  }, async () => {
    const dir = box.tmp();
    const served = await box.serve(['execution-engine', '--data-dir', dir, ...ZERO_PORT_FLAGS]);
    const ex = served.urls['execution-engine']!;
    const placed = await http.post(
      `${ex}/orders`,
      order('AAPL', 'buy', 'limit', 5, 100, { clientOrderId: 'h-1' }),
    );
    assert.equal(placed.status, 201);
    served.child.kill('SIGHUP');
    const f = await served.done;
    assert.equal(f.signal, null, 'not killed by the signal');
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /SIGHUP: stopping/);
    assert.match(f.stdout, /stopped cleanly/);

    const again = await box.serve(['execution-engine', '--data-dir', dir, ...ZERO_PORT_FLAGS]);
    const retried = await http.post(
      `${again.urls['execution-engine']}/orders`,
      order('AAPL', 'buy', 'limit', 5, 100, { clientOrderId: 'h-1' }),
    );
    assert.equal(retried.status, 409, 'the order survived the stop');
    again.child.kill('SIGTERM');
    assert.equal((await again.done).code, 0);
  });

  /** serve execution-engine on a terminal of its own (on_terminal.py), with one order placed. */
  async function serveOnTerminal(dir: string) {
    const term = spawn(
      '/usr/bin/python3',
      [
        ON_TERMINAL,
        process.execPath,
        TICKSTORM,
        'serve',
        'execution-engine',
        '--data-dir',
        dir,
        ...ZERO_PORT_FLAGS,
      ],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    if (term.pid !== undefined) pids.push(term.pid);
    let out = '';
    let err = '';
    term.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    const exited = new Promise<string>((resolve) => {
      term.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /^(EXIT \d+|SIGNAL \w+)$/m.exec(out);
        if (m !== null) resolve(m[1]!);
      });
      term.once('close', () => resolve(`closed: ${out} ${err}`));
    });
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.includes('\nREADY\n')) resolve();
      };
      term.stdout!.on('data', check);
      term.once('close', () => reject(new Error(`no READY: ${out} ${err}`)));
    });
    pids.push(Number(/^pid (\d+);/m.exec(out)?.[1]));
    const own = new Http();
    const placed = await own.post(
      `${parseUrls(out)['execution-engine']!}/orders`,
      order('AAPL', 'buy', 'limit', 5, 100, { clientOrderId: 't-1' }),
    );
    assert.equal(placed.status, 201);
    await own.close();
    return { term, out: () => out + err, exited };
  }

  /** A second serve of `dir` found what the graceful stop's snapshot holds: `orders` live orders. */
  async function snapshotHolds(dir: string, orders: number): Promise<void> {
    const again = await box.serve(['execution-engine', '--data-dir', dir, ...ZERO_PORT_FLAGS]);
    again.child.kill('SIGTERM');
    const f = await again.done;
    assert.equal(f.code, 0);
    // a graceful stop writes a snapshot of what the journal holds; a kill leaves only the journal
    assert.match(
      f.stdout,
      new RegExp(`recovered ${orders} live orders from \\S*snapshot-\\S+ \\+ 0 journal records`),
    );
  }

  test('its terminal closed: exit 0 and a clean stop, though the terminal is gone', {
    timeout: 120_000,
  }, async () => {
    const dir = box.tmp();
    const served = await serveOnTerminal(dir);
    served.term.stdin!.end('close\n');
    assert.equal(await served.exited, 'EXIT 0', served.out());
    await snapshotHolds(dir, 1);
  });

  test('SIGTERM whose output blocks on a stalled terminal that then closes: exit 0, a clean stop', {
    timeout: 120_000,
  }, async () => {
    // serve's next line to the stalled terminal blocks ("stopping", or one later in its stop:
    // the pause takes effect as the terminal reads it); the write then fails (EIO) before the
    // SIGHUP is handled, and the stop is SIGTERM's: before, the exit left the hung-up terminal
    // to node, which aborted restoring its modes (SIGSEGV)
    const dir = box.tmp();
    const served = await serveOnTerminal(dir);
    served.term.stdin!.write('pause\nsignal SIGTERM\nblocked\n');
    await new Promise<void>((resolve) => {
      const check = () => {
        if (served.out().includes('\nBLOCKED\n')) resolve();
      };
      served.term.stdout!.on('data', check);
      check();
    });
    served.term.stdin!.end('close\n');
    assert.equal(await served.exited, 'EXIT 0', served.out());
    await snapshotHolds(dir, 1);
  });
});
