/**
 * The central risk manager's `risk-limits.json` when it is not a limits file (emptied, or
 * edited by hand into bad JSON or bad limits): `serve risk-manager` on a NATS bus exits 1
 * with TRD_ERR_LOG_CORRUPT naming the file, no stack trace. Before, it printed a bare
 * "Unexpected end of JSON input" after a SyntaxError stack, not naming the file.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
});
