/**
 * One process per data directory (persistence/dir-lock.ts): a second `tickstorm serve` on a
 * directory a live process uses exits 1 with TRD_ERR_DATA_DIR_IN_USE naming the owner, and
 * the owner's journal stays intact (before the lock, both appended to one journal: order ids
 * issued twice and a journal that refused to replay). A lock left by a process killed with
 * SIGKILL is stale and taken over; a graceful stop removes it. A data dir that is a file (or
 * below one) is exit 2 TRD_ERR_INVALID_CONFIG naming it, in every serve process; so is one
 * that cannot be created (/proc/nope: Node's recursive mkdir spun there forever) and, for the
 * api (its metrics file lives there), one it may not write; and a --metrics-store file whose
 * directory cannot be created, naming that flag.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TradingErrorCode } from '../src/errors.ts';
import { LOCK_FILE, lockDataDir } from '../src/persistence/dir-lock.ts';
import {
  finished,
  REPO_ROOT,
  run,
  serveSandbox,
  TICKSTORM,
  ZERO_PORT_FLAGS,
} from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

describe('one process per data directory', () => {
  const box = serveSandbox('tickstorm-lock-');
  const http = new Http();
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('a second serve on a live data dir refuses; the journal stays whole; a kill -9 lock is taken over', {
    timeout: 180_000,
  }, async () => {
    const dir = box.tmp();
    const engine = ['execution-engine', '--data-dir', dir, '--execution-engine-port', '0'];
    const first = await box.serve(engine);
    const ex = first.urls['execution-engine'];
    const a = await http.post(
      `${ex}/orders`,
      order('AAPL', 'buy', 'limit', 1, 100, { clientOrderId: 'l-1' }),
    );
    assert.equal(a.status, 201);

    for (const args of [engine, ['--data-dir', dir, ...ZERO_PORT_FLAGS]]) {
      const second = await run(process.execPath, [TICKSTORM, 'serve', ...args]);
      const out = second.stdout + second.stderr;
      assert.equal(second.code, 1, out);
      assert.match(out, /TRD_ERR_DATA_DIR_IN_USE/);
      assert.match(out, new RegExp(`in use by process ${first.child.pid}\\b`));
      assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    }

    const b = await http.post(`${ex}/orders`, order('AAPL', 'buy', 'limit', 2, 99, { clientOrderId: 'l-2' }));
    assert.equal(b.status, 201);
    first.child.kill('SIGKILL');
    await first.done;
    assert.ok(existsSync(join(dir, LOCK_FILE)), 'a SIGKILL leaves the lock behind');

    const again = await box.serve(engine);
    const ex2 = again.urls['execution-engine'];
    for (const o of [a, b]) {
      const g = await http.get(`${ex2}/orders/${o.body.id}`);
      assert.equal(g.status, 200);
      assert.equal(g.body.clientOrderId, o.body.clientOrderId);
    }
    const c = await http.post(`${ex2}/orders`, order('AAPL', 'sell', 'limit', 1, 101));
    assert.equal(c.status, 201);
    assert.ok(BigInt(c.body.id) > BigInt(b.body.id), `new id ${c.body.id} after ${b.body.id}`);
    again.child.kill('SIGTERM');
    assert.equal((await again.done).code, 0);
    assert.equal(existsSync(join(dir, LOCK_FILE)), false, 'a graceful stop removes the lock');
  });

  test('a data dir the process may not write: exit 2, TRD_ERR_INVALID_CONFIG naming it, no stack trace', {
    timeout: 90_000,
  }, async (t) => {
    const dir = box.tmp();
    chmodSync(dir, 0o555);
    // as root, a read-only mode does not stop writes: run the child as nobody, or (nobody cannot
    // read the checkout) make the directory immutable, which stops root too (EPERM)
    let asNobody = {};
    let immutable = false;
    if (process.getuid?.() === 0) {
      const probe = spawn(
        process.execPath,
        ['-e', `require('fs').readFileSync(${JSON.stringify(TICKSTORM)})`],
        {
          stdio: 'ignore',
          uid: 65534,
          gid: 65534,
        },
      );
      if ((await finished(probe)).code === 0) asNobody = { uid: 65534, gid: 65534 };
      else if (spawnSync('chattr', ['+i', dir], { stdio: 'ignore' }).status === 0) {
        immutable = true;
        t.after(() => spawnSync('chattr', ['-i', dir], { stdio: 'ignore' }));
      } else {
        t.skip('running as root: nobody cannot read the checkout and chattr +i is not permitted');
        return;
      }
    }
    // the engine locks the dir; the api writes its DuckDB file there (before: exit 1, a
    // TRD_ERR_METRICS_STORE error about metrics.live.duckdb, not naming the data dir)
    for (const service of ['execution-engine', 'api']) {
      const child = spawn(
        process.execPath,
        [TICKSTORM, 'serve', service, '--data-dir', dir, `--${service}-port`, '0'],
        { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...asNobody },
      );
      const r = await finished(child, 30_000);
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 2, `${service}: ${out}`);
      assert.match(out, /TRD_ERR_INVALID_CONFIG/);
      const errno = immutable ? 'EPERM' : 'EACCES';
      assert.ok(out.includes(`data directory ${dir} is not writable by this process (${errno})`), out);
      assert.ok(out.includes('pass another --data-dir (env TICKSTORM_DATA_DIR)'), out);
      assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    }
  });

  test('a data dir that cannot be created (/proc/nope): every process that writes there exits 2 naming --data-dir', {
    timeout: 180_000,
  }, async () => {
    // before: mkdirSync(dir, { recursive: true }) never returned (100% CPU), and the serve hung
    const processes = [
      ['execution-engine', '--execution-engine-port', '0'],
      ['risk-manager', '--risk-manager-port', '0'],
      ['api', '--api-port', '0'],
      [...ZERO_PORT_FLAGS],
    ];
    for (const dir of ['/proc/nope', '/proc/nope/below']) {
      for (const services of processes) {
        const r = await run(
          process.execPath,
          [TICKSTORM, 'serve', ...services, '--data-dir', dir],
          process.env,
          30_000,
        );
        const out = r.stdout + r.stderr;
        const what = `${services[0]} on ${dir}`;
        assert.equal(r.code, 2, `${what}: ${out}`);
        assert.match(out, /TRD_ERR_INVALID_CONFIG/, what);
        assert.ok(out.includes(`data directory ${dir} cannot be created (ENOENT)`), `${what}: ${out}`);
        assert.ok(out.includes('--data-dir'), `${what}: ${out}`);
        assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
      }
    }
    // a DuckDB --metrics-store whose directory cannot be created: the same, naming that flag
    const r = await run(
      process.execPath,
      [
        TICKSTORM,
        'serve',
        'api',
        '--api-port',
        '0',
        '--data-dir',
        box.tmp(),
        '--metrics-store',
        '/proc/nope/m.duckdb',
      ],
      process.env,
      30_000,
    );
    const out = r.stdout + r.stderr;
    assert.equal(r.code, 2, out);
    assert.ok(
      out.includes(
        'metrics store /proc/nope/m.duckdb (--metrics-store, env TICKSTORM_METRICS_STORE): cannot create its directory /proc/nope (ENOENT)',
      ),
      out,
    );
  });

  test('a data dir that is a file, or below one: every serve process exits 2, TRD_ERR_INVALID_CONFIG naming it', {
    timeout: 240_000,
  }, async () => {
    const file = join(box.tmp(), 'not-a-dir');
    writeFileSync(file, 'x');
    // the ones that lock it (engine, risk manager) and the ones that do not (api, market data)
    const processes = [
      ['execution-engine', '--execution-engine-port', '0'],
      ['api', '--api-port', '0'],
      ['market-data', '--market-data-port', '0'],
      [...ZERO_PORT_FLAGS],
    ];
    for (const services of processes) {
      for (const [dir, errno] of [
        [file, 'EEXIST'],
        [join(file, 'below'), 'ENOTDIR'],
      ]) {
        const r = await run(
          process.execPath,
          [TICKSTORM, 'serve', ...services, '--data-dir', dir],
          process.env,
          30_000,
        );
        const out = r.stdout + r.stderr;
        const what = `${services[0]} on ${dir}`;
        assert.equal(r.code, 2, `${what}: ${out}`);
        assert.match(out, /TRD_ERR_INVALID_CONFIG/, what);
        assert.ok(out.includes(`data directory ${dir} cannot be a directory (${errno})`), `${what}: ${out}`);
        assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
      }
    }
  });

  test('in one process: a second lock refuses; a dead pid or a reused pid is stale', async () => {
    const dir = box.tmp();
    const lock = lockDataDir(dir);
    assert.throws(
      () => lockDataDir(dir),
      (err: { code?: string }) => err.code === TradingErrorCode.DATA_DIR_IN_USE,
    );
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);

    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await finished(gone);
    writeFileSync(join(dir, LOCK_FILE), `${gone.pid} 1\n`);
    lockDataDir(dir).release();
    // a live pid whose start time is not the recorded one: another process got the pid
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid} 1\n`);
    lockDataDir(dir).release();
    // the live owner, start time and all: refused
    const stat = readFileSync(`/proc/${process.ppid}/stat`, 'latin1');
    const started = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid} ${started}\n`);
    assert.throws(
      () => lockDataDir(dir),
      (err: { code?: string; message: string }) =>
        err.code === TradingErrorCode.DATA_DIR_IN_USE && err.message.includes(`process ${process.ppid}`),
    );
  });
});
