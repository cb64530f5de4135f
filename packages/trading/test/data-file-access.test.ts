/**
 * A data directory whose journal files the service's user may not open (copied or restored
 * by root, the chown forgotten): `serve` exits 2 with TRD_ERR_INVALID_CONFIG naming the file
 * and --data-dir, as for a directory it may not write (before: exit 1 with a bare "EACCES:
 * permission denied, open ..." and no code). Once the files are the user's, the same
 * directory recovers its orders. Runs the child as nobody when the test runs as root (root
 * ignores file modes); skipped only when nobody cannot read the checkout.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync } from 'node:fs';
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
    let user = {};
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
      if ((await finished(probe)).code !== 0) {
        t.skip('running as root and nobody cannot read the checkout');
        return;
      }
      user = { uid: 65534, gid: 65534 };
    }
    // the directory is writable by anyone (the lock can be taken); its files are not the user's
    chmodSync(dir, 0o777);
    for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o444);
    const serveAs = () =>
      finished(
        spawn(process.execPath, [TICKSTORM, 'serve', ...engine], {
          cwd: REPO_ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
          ...user,
        }),
        30_000,
      );
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
    const child = spawn(process.execPath, [TICKSTORM, 'serve', ...engine], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...user,
    });
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
});
