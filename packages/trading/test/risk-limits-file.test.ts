/**
 * The central risk manager's `risk-limits.json` when it is not a limits file (emptied, or
 * edited by hand into bad JSON or bad limits): `serve risk-manager` on a NATS bus exits 1
 * with TRD_ERR_LOG_CORRUPT naming the file, no stack trace. Before, it printed a bare
 * "Unexpected end of JSON input" after a SyntaxError stack, not naming the file. One that is
 * not a file (a directory, a FIFO) exits 2 TRD_ERR_INVALID_CONFIG naming it: a FIFO blocked
 * the start forever, a directory gave a bare EISDIR.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run, serveSandbox, TICKSTORM } from './support/child-process.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';

describe('risk-limits.json that is not a limits file', () => {
  const box = serveSandbox('tickstorm-risk-file-');
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await box.cleanup();
    await nats.stop();
  });

  for (const [what, text] of [
    ['empty', ''],
    ['bad limits', '{"maxOrderQty": -1}'],
  ]) {
    test(`${what}: exit 1, TRD_ERR_LOG_CORRUPT naming the file, no stack trace`, {
      timeout: 60_000,
    }, async () => {
      const dir = box.tmp();
      const path = join(dir, 'risk-limits.json');
      writeFileSync(path, text);
      const r = await run(process.execPath, [
        TICKSTORM,
        'serve',
        'risk-manager',
        '--bus',
        nats.url,
        '--data-dir',
        dir,
        '--risk-manager-port',
        '0',
      ]);
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 1, out);
      assert.match(out, /TRD_ERR_LOG_CORRUPT/);
      assert.ok(out.includes(`${path}: not a risk limits file`), out);
      assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    });
  }

  for (const what of ['a directory', 'a pipe (FIFO)'] as const) {
    test(`${what} in its place: exit 2, TRD_ERR_INVALID_CONFIG naming it, not a hang`, {
      timeout: 60_000,
    }, async () => {
      const dir = box.tmp();
      const path = join(dir, 'risk-limits.json');
      if (what === 'a directory') mkdirSync(path);
      else execFileSync('mkfifo', [path]);
      const r = await run(
        process.execPath,
        [
          TICKSTORM,
          'serve',
          'risk-manager',
          '--bus',
          nats.url,
          '--data-dir',
          dir,
          '--risk-manager-port',
          '0',
        ],
        process.env,
        30_000,
      );
      const out = r.stdout + r.stderr;
      assert.equal(r.code, 2, out);
      assert.match(out, /TRD_ERR_INVALID_CONFIG/);
      assert.ok(out.includes(`${path} is ${what}, not a file this service wrote`), out);
      assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    });
  }
});
