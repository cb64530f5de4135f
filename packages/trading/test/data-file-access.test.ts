/**
 * A data directory whose journal files the service's user may not open (copied or restored
 * by root, the chown forgotten): `serve` exits 2 with TRD_ERR_INVALID_CONFIG naming the file
 * and --data-dir, as for a directory it may not write (before: exit 1 with a bare "EACCES:
 * permission denied, open ..." and no code). Once the files are the user's, the same
 * directory recovers its orders. As root, the child runs without the capabilities that let
 * root ignore file modes (setpriv); skipped only as root without setpriv. A journal name that
 * is not a regular file (a FIFO, a directory) is refused the same way: a FIFO blocked the start.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { finished, REPO_ROOT, serveSandbox, TICKSTORM } from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

describe('journal files the process may not open', () => {
  const box = serveSandbox('tickstorm-files-');
  const http = new Http();
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('exit 2, TRD_ERR_INVALID_CONFIG naming the file; readable again, the state is recovered', {
    timeout: 120_000,
  }, async (t) => {
    const dir = box.tmp();
    const engine = ['execution-engine', '--data-dir', dir, '--execution-engine-port', '0'];
    const first = await box.serve(engine);
    const placed = await http.post(
      `${first.urls['execution-engine']}/orders`,
      order('AAPL', 'buy', 'limit', 3, 100, { clientOrderId: 'perm-1' }),
    );
    assert.equal(placed.status, 201);
    first.child.kill('SIGKILL'); // the journal holds the order; no snapshot
    await first.done;
    // Root reads and writes any file whatever its mode (CAP_DAC_OVERRIDE): as root the child
    // runs without that capability and CAP_DAC_READ_SEARCH (util-linux's setpriv), so the
    // modes apply to it as to any user, and it still reads the checkout it owns.
    const root = process.getuid?.() === 0;
    if (root && (await finished(spawn('setpriv', ['--version'], { stdio: 'ignore' }))).code !== 0) {
      t.skip('running as root without util-linux setpriv');
      return;
    }
    const start = (args: string[]) =>
      root
        ? spawn(
            'setpriv',
            ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, ...args],
            {
              cwd: REPO_ROOT,
              stdio: ['ignore', 'pipe', 'pipe'],
            },
          )
        : spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    // the directory is writable by anyone (the lock can be taken); its files are not the user's
    chmodSync(dir, 0o777);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o444);
    const serveAs = () => finished(start([TICKSTORM, 'serve', ...engine]), 30_000);
    const refused = await serveAs();
    const out = refused.stdout + refused.stderr;
    assert.equal(refused.code, 2, out);
    assert.match(out, /TRD_ERR_INVALID_CONFIG/);
    assert.ok(
      out.includes(`${join(dir, 'input-log-0.bin')} cannot be read and written by this process`),
      out,
    );
    assert.ok(out.includes('--data-dir'), out);
    assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    // the files given to the user: the same directory starts and has the order
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o666);
    const child = start([TICKSTORM, 'serve', ...engine]);
    const done = finished(child, 60_000);
    let text = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /execution-engine\s+(http:\/\/\S+)/.exec(text);
        if (m !== null && /^pid \d+;/m.test(text)) resolve(m[1]);
      });
      done.then((r) => reject(new Error(`exited ${r.code}: ${r.stdout}${r.stderr}`)));
    });
    const got = await http.get(`${url}/orders/${placed.body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.clientOrderId, 'perm-1');
    child.kill('SIGTERM');
    assert.equal((await done).code, 0);
  });

  test('a journal name that is not a file (a FIFO, a directory): exit 2 naming it, not a start that hangs', {
    timeout: 120_000,
  }, async () => {
    const dir = box.tmp();
    const engine = ['execution-engine', '--data-dir', dir, '--execution-engine-port', '0'];
    const first = await box.serve(engine);
    const placed = await http.post(
      `${first.urls['execution-engine']}/orders`,
      order('AAPL', 'buy', 'limit', 3, 100, { clientOrderId: 'fifo-1' }),
    );
    assert.equal(placed.status, 201);
    first.child.kill('SIGTERM'); // a graceful stop: a snapshot beside the journal
    await first.done;
    const fifo = (name: string) => execFileSync('mkfifo', [join(dir, name)]);
    const cases: [string, () => void][] = [
      ['snapshot-9999999999999999.tks', () => fifo('snapshot-9999999999999999.tks')],
      ['input-log-0.seg-0000000000000001.bin', () => fifo('input-log-0.seg-0000000000000001.bin')],
      ['tickstorm.lock', () => fifo('tickstorm.lock')],
      ['halted-accounts.json', () => mkdirSync(join(dir, 'halted-accounts.json'))],
      ['fresh-floor', () => mkdirSync(join(dir, 'fresh-floor'))],
    ];
    for (const [name, make] of cases) {
      make();
      // before: opening the FIFO blocked the start forever (no port, no message)
      const r = await finished(
        spawn(process.execPath, [TICKSTORM, 'serve', ...engine], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
        30_000,
      );
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 2, `${name}: ${out}`);
      assert.match(out, /TRD_ERR_INVALID_CONFIG/);
      assert.ok(out.includes(`${join(dir, name)} is a `), out);
      assert.ok(out.includes('--data-dir'), out);
      rmSync(join(dir, name), { recursive: true });
    }
    // the junk moved away, the directory recovers its order
    const again = await box.serve(engine);
    const got = await http.get(`${again.urls['execution-engine']}/orders/${placed.body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.clientOrderId, 'fifo-1');
  });
});
