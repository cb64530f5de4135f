/**
 * `http.get(url, { timeout })` in a script: the whole request is cut at the timeout, below a
 * second too (undici's own timers tick at about a second), and the response says 'timeout'.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';

let dir: string;
const held: ServerResponse[] = [];
// answers /slow-head never, /slow-body with its head and then nothing
const server = createServer((req, res) => {
  held.push(res);
  if (req.url === '/slow-body') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  }
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-timeout-'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
});
after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('a 200 ms timeout ends a request that gets no head, and one whose body stalls', async () => {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const f = join(dir, 'timeout.ts');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
export const options = { vus: 1, iterations: 1 };
export default async function () {
  for (const path of ['/slow-head', '/slow-body']) {
    const r = await http.get('${url}' + path, { timeout: '200ms', tags: { name: path } });
    check(r, {
      ['timed out ' + path]: (x) => x.status === 0 && x.error === 'timeout',
      ['within a second ' + path]: (x) => x.timings.duration < 1000,
    });
  }
}
`,
  );
  const json = join(dir, 'timeout.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(
    j.checks.map((c: { name: string; fails: number }) => [c.name, c.fails]),
    [
      ['timed out /slow-head', 0],
      ['within a second /slow-head', 0],
      ['timed out /slow-body', 0],
      ['within a second /slow-body', 0],
    ],
  );
  assert.equal(j.metrics.http_req_failed.values.passes, 2, 'both count as failed requests');
});
