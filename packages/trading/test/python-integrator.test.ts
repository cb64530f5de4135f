/**
 * An outside integrator's Python client (test/support/python/signed_integrator.py: its own HMAC
 * from docs/security.md, httpx and websockets) against a real `tickstorm serve --keys`, when a
 * python3 with httpx and websockets is installed (Debian: python3-httpx, python3-websockets);
 * skipped otherwise, as python-clients.test.ts is. What it checks: a signed order takes the key's
 * first account; a pretty-printed unicode JSON body verifies over its bytes; a 5 MB body that is
 * not JSON is a 413 httpx reads (one request, and on a keep-alive client, which then goes on),
 * naming the limit; a viewer posting a body that is not JSON is 403, not 400; a parameter given
 * twice is named; a WebSocket URL signed by query parameters opens with `ack=1` before, after,
 * or without other parameters.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findPython } from '../bench/python-clients.ts';
import { finished, REPO_ROOT, serveSandbox, ZERO_PORT_FLAGS } from './support/child-process.ts';

const python = findPython();
const SCRIPT = join(REPO_ROOT, 'packages/trading/test/support/python/signed_integrator.py');
const KEYS = [
  { id: 'desk-1', secret: 'a-long-random-secret-1', role: 'trader', accounts: ['acct-7', 'acct-8'] },
  { id: 'feed-1', secret: 'a-long-random-secret-2', role: 'feed' },
  { id: 'dash-1', secret: 'a-long-random-secret-3', role: 'viewer' },
  { id: 'ops-1', secret: 'a-long-random-secret-4', role: 'admin' },
];

describe('a Python integrator against serve --keys', {
  skip: python === undefined ? 'no python3 with httpx and websockets' : false,
}, () => {
  const box = serveSandbox('tickstorm-pyint-');
  let urls: Record<string, string>;
  let keysFile: string;
  before(async () => {
    const dir = box.tmp();
    keysFile = join(dir, 'keys.json');
    writeFileSync(keysFile, JSON.stringify(KEYS));
    const served = await box.serve([
      '--keys',
      keysFile,
      '--data-dir',
      join(dir, 'data'),
      '--no-input-log',
      ...ZERO_PORT_FLAGS,
    ]);
    urls = served.urls;
  });
  after(() => box.cleanup());

  test('signing, readable refusals and query-signed WebSockets, as the words say', {
    timeout: 120_000,
  }, async (t) => {
    const child = spawn(python!, [SCRIPT, keysFile, JSON.stringify(urls)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const r = await finished(child, 100_000);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    t.diagnostic(JSON.stringify(out));
    assert.equal(out.order.status, 201, out.order.body);
    assert.equal(JSON.parse(out.order.body).account, 'acct-7');
    assert.equal(out.metricsUnicode.status, 202, out.metricsUnicode.body);
    for (const big of [out.bigPlain, out.bigKeepAlive]) {
      assert.equal(big.status, 413, JSON.stringify(big));
      assert.equal(big.code, 'TRD_ERR_PAYLOAD_TOO_LARGE');
      assert.match(big.body, /over 65536 bytes, the limit of POST \/orders/);
    }
    assert.equal(out.afterBig.status, 200);
    assert.equal(out.viewerNotJson.status, 403, out.viewerNotJson.body);
    assert.equal(out.viewerNotJson.code, 'TRD_ERR_FORBIDDEN');
    assert.equal(out.depthTwice.status, 400);
    assert.match(out.depthTwice.body, /depth must be given once/);
    assert.deepEqual(out.ws, { alone: 'open', before: 'open', after: 'open' });
  });
});
