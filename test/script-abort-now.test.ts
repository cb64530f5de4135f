/**
 * `tickstorm run FILE`: exec.test.abort() ends the run at once, as k6's does. Before, the
 * abort reached the run's thread over a BroadcastChannel and came back as a stop, and the
 * aborting VU began another iteration meanwhile (1 VU aborting in its 6th iteration: `7
 * complete`); the iterations in flight elsewhere got gracefulStop. Now the aborting thread
 * halts as abort() is called (no iteration starts after it; the aborting one is interrupted,
 * not complete), and the other threads as soon as they hear it, their iterations in flight
 * interrupted.
 *
 * A script text names a 'k6/...' module on its first line only: the boundaries check reads
 * the import lines of this file, and a k6 name is no package of the repository.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';

/**
 * The target: counts paths; holds /hold unanswered (noting when the client cuts it), and answers
 * /wait-hold once a /hold is held.
 */
const paths = new Map<string, number>();
const held: ServerResponse[] = [];
let cut = 0;
let holdSeen: () => void = () => {};
const holding = new Promise<void>((r) => {
  holdSeen = r;
});
const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
  const path = (req.url ?? '/').split('?')[0];
  paths.set(path, (paths.get(path) ?? 0) + 1);
  req.resume();
  if (path === '/hold') {
    held.push(res);
    res.on('close', () => cut++);
    holdSeen();
    return;
  }
  const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  if (path === '/wait-hold') void holding.then(answer);
  else answer();
});
let url = '';
let dir = '';
before(async () => {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-abort-now-'));
});
after(async () => {
  for (const r of held) r.destroy();
  srv.closeAllConnections();
  await new Promise<void>((r) => srv.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function script(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text.replaceAll('$URL', url));
  return f;
}

const seen = (prefix: string) =>
  [...paths.keys()]
    .filter((p) => p.startsWith(prefix))
    .map((p) => Number(p.slice(prefix.length)))
    .sort((a, b) => a - b);

for (const kind of ['async', 'sync'] as const)
  test(`1 VU, ${kind} iterations: abort() in iteration 5 starts no iteration 6; 5 complete and 1 interrupted, exit 108`, async () => {
    const body =
      kind === 'async'
        ? `export default async function () {
  const n = exec.scenario.iterationInTest;
  await http.get('$URL/${kind}/' + n);
  await sleep(0.001);
  if (n === 5) exec.test.abort('x');
}`
        : `export default function () {
  const n = exec.scenario.iterationInTest;
  marks.add(1, { n: String(n) });
  if (n === 5) exec.test.abort('x');
}`;
    const f = script(
      `one-vu-${kind}.js`,
      `import exec from 'k6/execution';
import http from 'tickstorm/http';
import { sleep } from 'tickstorm';
import { Counter } from 'tickstorm/metrics';
const marks = new Counter('marks');
export const options = { vus: 1, iterations: 100000, thresholds: { 'marks{n:6}': ['count<1'] } };
${body}
`,
    );
    const json = join(dir, `one-vu-${kind}.json`);
    const r = await run(['run', f, '--json', json]);
    assert.equal(r.code, 108, r.stderr + r.stdout);
    assert.match(r.stderr, /test aborted: x/);
    assert.match(r.stdout, /Iterations: 5 complete and 1 interrupted/, r.stdout);
    assert.match(r.stdout, /ABORTED by exec\.test\.abort\(\): x \(exit code 108\)/);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    const extra = j.scenarios[0].extra;
    assert.deepEqual(
      {
        complete: extra.completedIterations,
        interrupted: extra.interruptedIterations,
        errors: extra.iterationErrors,
      },
      { complete: 5, interrupted: 1, errors: 0 },
    );
    assert.equal(j.metrics.iterations.values.count, 5);
    // no iteration 6 began (the async one's request, the sync one's count)
    if (kind === 'async') assert.deepEqual(seen('/async/'), [0, 1, 2, 3, 4, 5]);
    else assert.equal(j.thresholds.find((t: { metric: string }) => t.metric === 'marks{n:6}')?.ok, true);
  });

test('--workers 2: the other thread halts as it hears the abort, its iteration in flight interrupted (not left its gracefulStop)', {
  timeout: 120_000,
}, async () => {
  // VU 1 runs on thread 0, VU 2 on thread 1; VU 2's one iteration is held by the target
  // until the run cuts it; VU 1 starts once it is held, and aborts in its 4th iteration
  const f = script(
    'two-threads.js',
    `import exec from 'k6/execution';
import http from 'tickstorm/http';
export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '10m', gracefulStop: '60s' } },
};
export default async function () {
  if (exec.vu.idInTest === 2) return http.get('$URL/hold');
  if (__ITER === 0) await http.get('$URL/wait-hold');
  await http.get('$URL/vu1/' + __ITER);
  if (__ITER === 3) exec.test.abort('enough');
}
`,
  );
  const json = join(dir, 'two-threads.json');
  const t0 = Date.now();
  const r = await run(['run', f, '--workers', '2', '--json', json]);
  assert.equal(r.code, 108, r.stderr + r.stdout);
  assert.ok(Date.now() - t0 < 50_000, `the run waited for gracefulStop (${Date.now() - t0} ms)`);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  const extra = j.scenarios[0].extra;
  assert.equal(j.scenarios[0].params.workers, 2);
  assert.deepEqual(
    { complete: extra.completedIterations, interrupted: extra.interruptedIterations },
    { complete: 3, interrupted: 2 },
  );
  assert.match(r.stdout, /Iterations: 3 complete and 2 interrupted/);
  assert.deepEqual(seen('/vu1/'), [0, 1, 2, 3]);
  assert.equal(paths.get('/hold'), 1);
  // the held request was cut by the run, not left to the target
  assert.equal(cut, 1);
});
