/**
 * As in k6, setup()'s and teardown()'s samples carry the run's tags (options.tags and --tag):
 * a threshold on one counts their requests, and --out json streams them with those tags.
 * Before, they carried only their group: `http_reqs{team:x}` left setup()'s request out.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

let dir: string;
let url: string;
const server = createServer((_req, res) => res.end('ok'));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-lifecycle-tags-'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

test('setup() and teardown() requests carry options.tags and --tag: thresholds and --out json', async () => {
  const f = join(dir, 'tags.js');
  writeFileSync(
    f,
    `import http from 'k6/http';
export const options = {
  tags: { team: 'x' },
  vus: 1,
  iterations: 2,
  thresholds: { 'http_reqs{team:x}': ['count==4'], 'http_reqs{run:r1}': ['count==4'] },
};
export async function setup() { await http.get('${url}/setup'); }
export default async function () { await http.get('${url}/it'); }
export async function teardown() { await http.get('${url}/teardown'); }
`,
  );
  const out = join(dir, 'out.jsonl');
  const r = await tickstorm(['run', f, '--tag', 'run=r1', '--out', `json=${out}`]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const points = readFileSync(out, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l))
    .filter((o) => o.type === 'Point' && o.metric === 'http_reqs');
  const setup = points.find((p) => p.data.tags.group === '::setup');
  const teardown = points.find((p) => p.data.tags.group === '::teardown');
  for (const p of [setup, teardown]) {
    assert.ok(p !== undefined);
    assert.equal(p.data.tags.team, 'x');
    assert.equal(p.data.tags.run, 'r1');
    assert.equal(p.data.tags.scenario, undefined);
  }
});
