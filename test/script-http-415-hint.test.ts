/**
 * k6's `http.post(url, JSON.stringify(o))` sends its body without a Content-Type; a server that
 * takes only JSON (the trading system) answers 415. The run says once per origin, on stderr,
 * what to add, and says nothing when the header was sent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

let dir: string;
let url: string;
// as the trading system: a body without Content-Type: application/json is 415
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const json = (req.headers['content-type'] ?? '').startsWith('application/json');
    res.statusCode = json ? 201 : 415;
    res.end(json ? '{}' : '{"error":{"code":"UNSUPPORTED_MEDIA_TYPE"}}');
  });
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-415-'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const script = (params: string) => `import http from 'k6/http';
export const options = { iterations: 3 };
export default async function () {
  await http.post('${url}/orders', JSON.stringify({ symbol: 'AAPL' })${params});
}
`;

test('a string body without Content-Type answered 415: one hint naming the header', async () => {
  const f = join(dir, 'bare.js');
  writeFileSync(f, script(''));
  const r = await tickstorm(['run', f]);
  assert.equal(r.code, 0, r.stderr);
  const hints = r.stderr.split('\n').filter((l) => l.startsWith('WARN '));
  assert.equal(hints.length, 1, r.stderr);
  assert.match(hints[0], /POST \/orders was answered 415 .* without a Content-Type/);
  assert.match(hints[0], /'Content-Type': 'application\/json'/);
});

test('no hint when the script sends the header', async () => {
  const f = join(dir, 'typed.js');
  writeFileSync(f, script(", { headers: { 'Content-Type': 'application/json' } }"));
  const r = await tickstorm(['run', f]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /WARN/);
});
