/**
 * `tickstorm run FILE.ts --master` / `--worker` as separate OS processes against a local
 * HTTP server: the master starts both workers' runs, merges their reports exactly (the
 * request count equals what the server received), and the workers exit 0 after quit; a
 * swarm worker is refused by a run master (104).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { startTickstorm, type Watched } from './support/child.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-counted-users.ts', import.meta.url),
);
let server: LocalServer;
let received = 0;
let dir: string;
const children: Watched[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-dist-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
});
afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): Watched {
  const c = startTickstorm(args);
  children.push(c);
  return c;
}

test('run --master merges two workers’ script runs exactly; workers exit 0 after quit', async () => {
  const file = join(dir, 'hits.ts');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 40 } } };
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  const json = join(dir, 'merged.json');
  received = 0;
  const m = start([
    'run',
    file,
    '--master',
    '--expect-workers',
    '2',
    '--master-bind-port',
    '0',
    '--json',
    json,
    '--threshold',
    'error_rate<1%',
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const w1 = start(['run', file, '--worker', '--master-port', port]);
  const w2 = start(['run', file, '--worker', '--master-port', port]);
  const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(x1.code, 0, w1.stdout() + w1.stderr());
  assert.equal(x2.code, 0, w2.stdout() + w2.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(received, 80);
  assert.equal(report.requests, 80);
  assert.equal(report.scenarios[0].entries[0].histogram.count, 80);
  assert.equal(report.workers.joined.length, 2);
  assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 2 reported, 0 missing/);
  assert.match(m.stdout(), /PASSED/);
});

test('a swarm worker is refused by a run master (104), naming the command to use', async () => {
  const m = start(['run', 'x.ts', '--master', '--master-bind-port', '0', '--expect-workers-max-wait', '30']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const w = start(['swarm', '-f', USERS, '--worker', '--master-port', port]);
  const x = await w.exited;
  assert.equal(x.code, 104, w.stdout() + w.stderr());
  assert.match(w.stderr(), /this master runs 'run' workers; start the worker with 'tickstorm run --worker'/);
});
