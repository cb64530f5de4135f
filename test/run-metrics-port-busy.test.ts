/**
 * `tickstorm run --metrics-port PORT` on a port something else holds: a problem naming the flag
 * and exit 1, at once, for a script (before setup(); an abortOnFail threshold's live watch,
 * started before the exporter, used to keep the process from ever exiting) and for the
 * built-in scenarios (which answered a bare "listen EADDRINUSE").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-metrics-busy-'));
let holder: Server;
let port = 0;

before(async () => {
  holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  port = (holder.address() as { port: number }).port;
});

after(async () => {
  await new Promise<void>((resolve) => holder.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

test('a script run with abortOnFail exits 1 naming the flag, without running setup()', {
  timeout: 30_000,
}, async () => {
  const f = join(dir, 'abort-on-fail.js');
  writeFileSync(
    f,
    `import { check, sleep } from 'k6';
export const options = {
  vus: 1,
  duration: '2s',
  thresholds: { checks: [{ threshold: 'rate>0', abortOnFail: true }] },
};
export function setup() { console.log('SETUP RAN'); }
export default async function () { check(1, { ok: () => true }); await sleep(0.1); }
`,
  );
  const r = await tickstorm(['run', f, '--metrics-port', String(port)]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stderr, new RegExp(`--metrics-port ${port}: cannot serve there \\(.*EADDRINUSE`));
  assert.doesNotMatch(r.stdout + r.stderr, /SETUP RAN/);
});

test('the built-in scenarios exit 1 naming the flag', { timeout: 30_000 }, async () => {
  const r = await tickstorm(['run', 'order-stress', '--duration', '1s', '--metrics-port', String(port)]);
  assert.equal(r.code, 1, r.stderr + r.stdout);
  assert.match(r.stderr, new RegExp(`tickstorm run: --metrics-port ${port}: cannot serve there`));
});

test('given as --out prometheus=PORT, the problem names that flag (a script and the built-in scenarios)', {
  timeout: 30_000,
}, async () => {
  const f = join(dir, 'plain.js');
  writeFileSync(
    f,
    `export const options = { vus: 1, duration: '1s' };\nexport default async function () {}\n`,
  );
  for (const target of [f, 'order-stress']) {
    const r = await tickstorm(['run', target, '--duration', '1s', '--out', `prometheus=${port}`]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      new RegExp(`tickstorm run: --out prometheus=${port}: cannot serve there \\(.*EADDRINUSE`),
    );
  }
  const bad = await tickstorm(['run', f, '--out', 'prometheus=70000']);
  assert.equal(bad.code, 104, bad.stderr + bad.stdout);
  assert.match(bad.stderr, /--out prometheus=70000 must be a port number 0\.\.65535/);
});
