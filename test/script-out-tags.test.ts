/**
 * A script's `tags` (k6's options.tags and a scenario's own) are on every sample it streams
 * with --out json; a scenario's `env` (k6's __ENV, which scripts do not have) is refused, not
 * dropped in silence.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { tickstorm as run } from './support/cli.ts';

let srv: Awaited<ReturnType<typeof startPathCounter>>;
let dir: string;

before(async () => {
  srv = await startPathCounter();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-out-tags-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test('options.tags and a scenario’s tags go on every streamed sample', async () => {
  const f = join(dir, 'tags.ts');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
import { Counter } from 'tickstorm/metrics';
const hits = new Counter('hits');
export const options = {
  tags: { testid: 'nightly-7' },
  scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 3, tags: { team: 'orders' } } },
};
export default async function () {
  const r = await http.get('${srv.url.replace(/\/$/, '')}/ok');
  check(r, { ok: (x) => x.status === 200 });
  hits.add(1);
}
`,
  );
  const lines = join(dir, 'tags.jsonl');
  const r = await run(['run', f, '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point');
  assert.deepEqual([...new Set(points.map((p) => p.metric))].sort(), [
    'checks',
    'hits',
    'http_req_duration',
    'http_req_failed',
    'http_reqs',
    'iterations',
  ]);
  for (const p of points) {
    assert.equal(p.data.tags.testid, 'nightly-7', JSON.stringify(p));
    assert.equal(p.data.tags.team, 'orders', JSON.stringify(p));
    assert.equal(p.data.tags.scenario, 's');
  }
});

test('a scenario’s env, and tags that are not strings, exit 104 naming them', async () => {
  const f = join(dir, 'env.ts');
  writeFileSync(
    f,
    `export const options = {
  tags: { build: 7 },
  scenarios: { s: { executor: 'shared-iterations', env: { BASE: 'x' } } },
};
export default async function () {}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /options\.scenarios\.s\.env: not supported/);
  assert.match(r.stderr, /options\.tags must be an object of strings/);
});
