/**
 * `tickstorm run FILE`: k6's lifecycle. setup() runs once before the scenarios (also with
 * --workers 2 and several scenarios), its data reaches every iteration as `fn(data, ctx)`,
 * teardown(data) runs once after them (also after a failed threshold, 99, and abortOnFail,
 * 108); a failing setup() is 107 with no scenario run; __ENV and -e/--env; with --master they run
 * once, on the master, and the data reaches the workers.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';
import { BIN, tickstorm as run } from './support/cli.ts';

/** Every request the server saw: its path (query stripped) and its x-token header. */
let seen: { path: string; token: string | undefined; query: string }[] = [];
/** Called with each request's path (a test waits on it instead of sleeping). */
let onPath: (path: string) => void = () => undefined;
let srv: LocalServer;
let dir: string;

before(async () => {
  srv = await startServer((req, res) => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    seen.push({ path, token: req.headers['x-token'] as string | undefined, query });
    onPath(path);
    req.resume();
    req.on('end', () => {
      res.writeHead(path === '/fail' ? 500 : 200, { 'content-type': 'application/json' });
      res.end('{"token":"t-42"}');
    });
  });
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-lifecycle-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  seen = [];
});
const { start, stopAll } = trackedTickstorm();
afterEach(stopAll);

function script(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text.replaceAll('$URL', srv.url.replace(/\/$/, '')));
  return f;
}

const count = (path: string) => seen.filter((s) => s.path === path).length;

const LIFECYCLE = `
import http from 'tickstorm/http';
export async function setup() {
  const res = await http.get('$URL/setup');
  return { token: JSON.parse(res.body).token, n: 3 };
}
export function teardown(data) {
  return http.get('$URL/teardown?token=' + data.token + '&n=' + data.n);
}
`;

test('setup() runs once across --workers 2 and two scenarios; data reaches every iteration; teardown once after', async () => {
  const f = script(
    'once.js',
    `${LIFECYCLE}
export const options = {
  scenarios: {
    a: { executor: 'shared-iterations', vus: 4, iterations: 40 },
    b: { executor: 'per-vu-iterations', vus: 2, iterations: 5, exec: 'other' },
  },
};
export default async function (data, ctx) {
  if (typeof ctx.vu !== 'number') throw new Error('no ctx');
  data.n++; // each VU's own copy: the next VU still sees 3
  await http.get('$URL/a?w=' + __ENV.LC_W, { headers: { 'x-token': data.token } });
}
export async function other(data) {
  await http.get('$URL/b', { headers: { 'x-token': data.token } });
}
`,
  );
  const r = await run(['run', f, '--workers', '2', '-e', 'LC_W=on-every-thread']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(count('/setup'), 1);
  assert.equal(count('/a'), 40);
  assert.equal(count('/b'), 10);
  for (const s of seen.filter((x) => x.path === '/a' || x.path === '/b')) assert.equal(s.token, 't-42');
  for (const s of seen.filter((x) => x.path === '/a')) assert.equal(s.query, 'w=on-every-thread');
  const td = seen.filter((s) => s.path === '/teardown');
  assert.deepEqual(
    td.map((s) => s.query),
    ['token=t-42&n=3'],
  );
  // order: setup first, teardown last
  assert.equal(seen[0].path, '/setup');
  assert.equal(seen[seen.length - 1].path, '/teardown');
  assert.match(r.stderr, /setup\(\): done in \d+ ms \(1 requests, 0 failed\)/);
  // setup's and teardown's requests count in the run's metrics, as in k6 (script-lifecycle-metrics)
  assert.match(r.stdout, /http_reqs\.*: 52 /);
});

test('a script without setup() keeps fn(ctx); __ENV holds the environment, -e wins over it', async () => {
  const f = script(
    'env.js',
    `import http from 'tickstorm/http';
import { PATH } from './env-helper.js';
export default async function (ctx) {
  await http.get('$URL/' + PATH + '?vu=' + ctx.vu + '&a=' + __ENV.LC_A + '&b=' + __ENV.LC_B);
}
`,
  );
  script('env-helper.js', 'export const PATH = __ENV.LC_PATH;\n');
  const r = await run(['run', f, '-e', 'LC_A=flag', '--env', 'LC_PATH=p=q'], {
    LC_A: 'env',
    LC_B: 'from-env',
    LC_PATH: 'nope',
  });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.deepEqual(seen, [{ path: '/p=q', token: undefined, query: 'vu=1&a=flag&b=from-env' }]);
});

test('-e from TICKSTORM_ENV (one KEY=VALUE, as any repeatable flag); a malformed -e or scenario env is 104 naming it', async () => {
  const f = script(
    'env2.js',
    `import http from 'tickstorm/http';
export default async function () { await http.get('$URL/e?x=' + __ENV.LC_X); }
`,
  );
  const ok = await run(['run', f], { TICKSTORM_ENV: 'LC_X=from-tickstorm-env' });
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.deepEqual(
    seen.map((s) => s.query),
    ['x=from-tickstorm-env'],
  );
  const bad = await run(['run', f, '-e', 'NOEQUALS']);
  assert.equal(bad.code, 104, bad.stderr);
  assert.match(bad.stderr, /--env 'NOEQUALS': expected KEY=VALUE/);
  const scen = script(
    'scen-env.js',
    `export const options = { scenarios: { s: { executor: 'shared-iterations', iterations: 1, env: { A: 1 } } } };
export default function () {}
`,
  );
  const refused = await run(['run', scen]);
  assert.equal(refused.code, 104, refused.stderr);
  assert.match(refused.stderr, /options\.scenarios\.s\.env must be an object of strings/);
});

test('teardown() runs after a failed threshold (99) and after abortOnFail (108)', async () => {
  const failing = script(
    'th.js',
    `${LIFECYCLE}
export const options = { iterations: 3, thresholds: { http_req_failed: ['rate<0.01'] } };
export default async function (data) { await http.get('$URL/fail', { headers: { 'x-token': data.token } }); }
`,
  );
  const r99 = await run(['run', failing]);
  assert.equal(r99.code, 99, r99.stderr + r99.stdout);
  assert.equal(count('/setup'), 1);
  assert.equal(count('/fail'), 3);
  assert.deepEqual(
    seen.filter((s) => s.path === '/teardown').map((s) => s.query),
    ['token=t-42&n=3'],
  );

  seen = [];
  const aborting = script(
    'abort.js',
    `${LIFECYCLE}
import { sleep } from 'tickstorm';
export const options = {
  vus: 1, duration: '60s',
  thresholds: { http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }] },
};
export default async function () { await http.get('$URL/fail'); await sleep(0.05); }
`,
  );
  const r108 = await run(['run', aborting]);
  assert.equal(r108.code, 108, r108.stderr + r108.stdout);
  assert.equal(count('/setup'), 1);
  assert.ok(count('/fail') > 0);
  assert.equal(count('/teardown'), 1);
  assert.equal(seen[seen.length - 1].path, '/teardown');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  test(`${signal} (Ctrl-C, or a CI job's or container's stop, as k6 takes both): the scenarios stop, teardown() still runs, the --json is written, exit 105`, async () => {
    const f = script(
      `${signal}.js`,
      `${LIFECYCLE}
import { sleep } from 'tickstorm';
export const options = { vus: 1, duration: '60s' };
export default async function () { await http.get('$URL/loop'); await sleep(0.05); }
`,
    );
    const child = spawn(process.execPath, [BIN, 'run', f, '--json', join(dir, `${signal}.json`)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.resume();
    const closed = new Promise<number>((res) => child.on('close', (code) => res(code ?? -1)));
    await new Promise<void>((res) => {
      onPath = (p) => {
        if (p === '/loop') res();
      };
    });
    onPath = () => undefined;
    child.kill(signal);
    const code = await closed;
    assert.equal(code, 105, stderr);
    assert.equal(count('/setup'), 1);
    assert.equal(count('/teardown'), 1);
    assert.equal(seen[seen.length - 1].path, '/teardown');
    assert.equal(JSON.parse(readFileSync(join(dir, `${signal}.json`), 'utf8')).exitCode, 105);
  });

test('setup() and teardown() end when the requests they did not await settle: sent and counted, not cut', async () => {
  const f = script(
    'unawaited.js',
    `import http from 'tickstorm/http';
export const options = { iterations: 1 };
export function setup() { http.get('$URL/setup'); return { n: 1 }; }
export default async function () {}
export function teardown() { http.get('$URL/teardown'); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stderr, /setup\(\): done in \d+ ms \(1 requests, 0 failed\)/);
  assert.match(r.stderr, /teardown\(\): done in \d+ ms \(1 requests, 0 failed\)/);
  assert.equal(count('/setup'), 1);
  assert.equal(count('/teardown'), 1);
});

test('Ctrl-C during a setup() that waits: it is cut at once, exit 105, no scenario and no teardown()', async () => {
  const f = script(
    'setup-wait.js',
    `import http from 'tickstorm/http';
import { sleep } from 'tickstorm';
export const options = { iterations: 1, setupTimeout: '20s' };
export async function setup() { await http.get('$URL/setup'); await sleep(600); }
export default async function () { await http.get('$URL/loop'); }
export function teardown() { return http.get('$URL/teardown'); }
`,
  );
  const child = spawn(process.execPath, [BIN, 'run', f], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const closed = new Promise<number>((res) => child.on('close', (code) => res(code ?? -1)));
  await new Promise<void>((res) => {
    onPath = (p) => {
      if (p === '/setup') res();
    };
  });
  onPath = () => undefined;
  child.kill('SIGINT');
  const code = await closed;
  assert.equal(code, 105, stderr);
  assert.match(stderr, /interrupted during setup\(\): no scenario was run/);
  assert.equal(count('/loop'), 0);
  assert.equal(count('/teardown'), 0);
});

test('setup() throwing, returning what JSON cannot carry, or running over setupTimeout: 107, no scenario runs', async () => {
  const body = `
export const options = { iterations: 5, setupTimeout: '300ms' };
export default async function () { await http.get('$URL/iter'); }
export function teardown() { return http.get('$URL/teardown'); }
`;
  const cases: [string, string, RegExp][] = [
    [
      'throws.js',
      `export async function setup() { await http.get('$URL/setup'); throw new Error('no login'); }`,
      /setup\(\) threw: Error: no login/,
    ],
    [
      'fn.js',
      'export function setup() { return { token: "x", refresh: () => 1 }; }',
      /setup\(\) returned data that is not JSON-serialisable: refresh is a function/,
    ],
    [
      'cycle.js',
      'export function setup() { const a = { b: {} }; a.b.a = a; return a; }',
      /not JSON-serialisable: b\.a refers back to itself/,
    ],
    [
      'slow.js',
      `import { sleep } from 'tickstorm';
export async function setup() { await sleep(30); }`,
      /setup\(\) did not finish within setupTimeout \(0\.3s\)/,
    ],
  ];
  for (const [name, setup, msg] of cases) {
    seen = [];
    const f = script(name, `import http from 'tickstorm/http';\n${setup}\n${body}`);
    const r = await run(['run', f]);
    assert.equal(r.code, 107, `${name}: ${r.stderr}${r.stdout}`);
    assert.match(r.stderr, msg, name);
    assert.match(r.stderr, /no scenario was run/, name);
    assert.equal(count('/iter'), 0, name);
    assert.equal(count('/teardown'), 0, name);
  }
});

test('teardown() throwing is 107 when nothing else failed; a bad setupTimeout is 104', async () => {
  const f = script(
    'td-throws.js',
    `import http from 'tickstorm/http';
export default async function () { await http.get('$URL/iter'); }
export function teardown(data) { throw new Error('cleanup failed ' + String(data)); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr + r.stdout);
  assert.equal(count('/iter'), 1);
  assert.match(r.stderr, /teardown\(\) threw: Error: cleanup failed undefined/);
  const bad = script(
    'bad-timeout.js',
    `export const options = { setupTimeout: 'soon' };
export function setup() {}
export default function () {}
`,
  );
  const r104 = await run(['run', bad]);
  assert.equal(r104.code, 104, r104.stderr);
  assert.match(r104.stderr, /options\.setupTimeout must be a duration/);
});

test('--master: setup() and teardown() run once, on the master; the data reaches both workers; -e on the master is 104', async () => {
  const f = script(
    'dist.js',
    `${LIFECYCLE}
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 20 } } };
export default async function (data) { await http.get('$URL/d', { headers: { 'x-token': data.token } }); }
`,
  );
  const m = start(['run', f, '--master', '--expect-workers', '2', '--master-bind-port', '0']);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  // setup() ran before any worker joined
  assert.equal(count('/setup'), 1);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const [mx, ...xs] = await Promise.all([m.exited, ...ws.map((w) => w.exited)]);
  for (const [i, x] of xs.entries()) assert.equal(x.code, 0, ws[i].stdout() + ws[i].stderr());
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(count('/setup'), 1);
  assert.equal(count('/d'), 20);
  for (const s of seen.filter((x) => x.path === '/d')) assert.equal(s.token, 't-42');
  assert.deepEqual(
    seen.filter((s) => s.path === '/teardown').map((s) => s.query),
    ['token=t-42&n=3'],
  );
  assert.equal(seen[seen.length - 1].path, '/teardown');
  for (const w of ws) assert.doesNotMatch(w.stderr(), /setup\(\): done|teardown\(\): done/);

  seen = [];
  const bad = script(
    'dist-bad.js',
    `export function setup() { throw new Error('no login'); }
export default function () {}
`,
  );
  const r107 = await run(['run', bad, '--master', '--master-bind-port', '0']);
  assert.equal(r107.code, 107, r107.stderr);
  assert.match(r107.stderr, /setup\(\) threw: Error: no login/);
  assert.doesNotMatch(r107.stdout, /Master listening/);

  const plain = script('dist-plain.js', 'export default function () {}\n');
  const e = await run(['run', plain, '--master', '-e', 'A=1', '--master-bind-port', '0']);
  assert.equal(e.code, 104, e.stderr + e.stdout);
  assert.match(e.stderr, /--env: the script runs on the workers/);
});
