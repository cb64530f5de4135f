/**
 * A swarm user file outside the repository, as a Locust user keeps a locustfile (and as the
 * Kubernetes example mounts one from a ConfigMap): it imports `@tickstorm/loadlab/swarm` (or
 * `@tickstorm/loadlab`), a file of its own, and a package the lab has (`ws`), with no
 * package.json or node_modules around it, in the main thread and in --processes worker
 * threads. A `run` script there may import a file of its own that imports `tickstorm/http`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';

let server: LocalServer;
let dir: string;
let hits = 0;

const USERS = `
import { constant, HttpUser, tasks } from '@tickstorm/loadlab/swarm';
import { between } from '@tickstorm/loadlab';
import { PATH } from './helper.ts';
export class Anywhere extends HttpUser {
  static tasks = tasks<Anywhere>({ hit: 1 });
  waitTime = typeof between === 'function' ? constant(0.01) : constant(1);
  async hit() {
    await this.client.get(PATH, { name: 'anywhere' });
  }
}
`;
const HELPER = `
import WebSocket from 'ws';
export const PATH = typeof WebSocket === 'function' ? '/anywhere' : '/no-ws';
`;
const SCRIPT = `
import { get } from './get.ts';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 3 } } };
export default async function () {
  await get();
}
`;
const GET = `
import http from 'tickstorm/http';
export const get = () => http.get(\`\${process.env.TARGET}/script\`);
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-users-anywhere-'));
  writeFileSync(join(dir, 'users.ts'), USERS);
  writeFileSync(join(dir, 'helper.ts'), HELPER);
  writeFileSync(join(dir, 'script.ts'), SCRIPT);
  writeFileSync(join(dir, 'get.ts'), GET);
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a user file anywhere on disk', () => {
  for (const processes of ['1', '2']) {
    test(`imports the lab and runs (--processes ${processes})`, async () => {
      hits = 0;
      const json = join(dir, `anywhere-${processes}.json`);
      const r = await tickstorm([
        'swarm',
        '-f',
        join(dir, 'users.ts'),
        '--headless',
        '-u',
        '2',
        '-r',
        '100',
        '-t',
        '1s',
        '--processes',
        processes,
        '-H',
        server.url,
        '--only-summary',
        '--json',
        json,
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const report = JSON.parse(readFileSync(json, 'utf8'));
      const entry = report.scenarios[0].entries.find((e: { name: string }) => e.name === 'anywhere');
      assert.ok(entry !== undefined && entry.requests > 0, 'the users sent requests');
      assert.ok(hits >= entry.requests, 'the server got them');
    });
  }

  test('a run script imports a file of its own that imports tickstorm/http', async () => {
    hits = 0;
    const r = await tickstorm(['run', join(dir, 'script.ts')], { TARGET: server.url });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(hits, 3);
  });
});
