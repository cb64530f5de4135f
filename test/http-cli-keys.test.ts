/**
 * `tickstorm http --key-file` end to end against `tickstorm serve --keys` (both as a user
 * runs them, child processes): every request signed (GET and a POST with a body) is served;
 * the same run without the key gets 401 for every request.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { type ServeChild, startServeChild } from './support/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-keys-'));
let served: ServeChild | undefined;
let urls: Record<string, string> = {};

before(async () => {
  writeFileSync(
    join(dir, 'keys.json'),
    JSON.stringify([
      { id: 'viewer-1', secret: 'viewer-secret-0123456789', role: 'viewer' },
      { id: 'feed-1', secret: 'feed-secret-0123456789ab', role: 'feed' },
    ]),
  );
  writeFileSync(
    join(dir, 'viewer.json'),
    JSON.stringify({ id: 'viewer-1', secret: 'viewer-secret-0123456789' }),
  );
  writeFileSync(join(dir, 'feed.json'), JSON.stringify({ id: 'feed-1', secret: 'feed-secret-0123456789ab' }));
  served = await startServeChild(['--keys', join(dir, 'keys.json'), '--data-dir', dir]);
  urls = served.urls;
});

after(async () => {
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('tickstorm http --key-file: signed GETs and POSTs are served; unsigned ones get 401', async () => {
  const get = join(dir, 'get.json');
  const a = await run([
    'http',
    `${urls.api}/api/metrics/system`,
    '-c',
    '2',
    '-d',
    '1',
    '--workers',
    '1',
    '--key-file',
    join(dir, 'viewer.json'),
    '--json',
    get,
  ]);
  assert.equal(a.code, 0, a.stderr);
  const g = JSON.parse(readFileSync(get, 'utf8'));
  assert.ok(g.requests > 10, `requests ${g.requests}`);
  assert.deepEqual(g.status, { '200': g.requests });

  const post = join(dir, 'post.json');
  const b = await run([
    'http',
    `${urls.api}/api/metrics`,
    '-m',
    'POST',
    '-H',
    'Content-Type: application/json',
    '-b',
    '[{"name":"cli_signed","value":1}]',
    '-R',
    '50',
    '-d',
    '1',
    '--workers',
    '1',
    '--key-file',
    join(dir, 'feed.json'),
    '--json',
    post,
  ]);
  assert.equal(b.code, 0, b.stderr);
  const p = JSON.parse(readFileSync(post, 'utf8'));
  assert.ok(p.requests >= 40, `requests ${p.requests}`);
  assert.deepEqual(p.status, { '202': p.requests });

  const bare = join(dir, 'bare.json');
  const c = await run([
    'http',
    `${urls.api}/api/metrics/system`,
    '-c',
    '1',
    '-d',
    '500ms',
    '--workers',
    '1',
    '--json',
    bare,
  ]);
  const u = JSON.parse(readFileSync(bare, 'utf8'));
  assert.ok(u.requests > 0, c.stderr);
  assert.deepEqual(u.status, { '401': u.requests });
});
