/**
 * A k6 script ported without `await` (a synchronous default function calling http.get and
 * sleep) would loop as fast as the CPU allows, a flood at the target: the first such iteration
 * stops the run as a script error (107), said once; an awaiting script runs as usual.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-not-awaited-');
const WARNING = /scenario default: an iteration returned before its http\.\*\(\), sleep\(\)/g;

test('a synchronous iteration that leaves its request and sleep running stops the run: 107, said once', async () => {
  const f = join(t.dir, 'k6-style.js');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { sleep } from 'tickstorm';
export const options = { vus: 4, duration: '30s' };
export default function () { http.get('${t.srv.url.replace(/\/$/, '')}/ok'); sleep(1); }
`,
  );
  const before = t.srv.paths.get('/ok') ?? 0;
  const t0 = Date.now();
  const r = await run(['run', f, '--workers', '2']);
  assert.equal(r.code, 107, r.stderr + r.stdout);
  assert.ok(Date.now() - t0 < 20_000, 'stopped long before the 30 s');
  // once from the thread that found it (said in the script error and in the verdict)
  assert.equal(r.stderr.match(WARNING)?.length, 1, r.stderr);
  assert.match(r.stdout, /STOPPED by a script error: scenario default: .*\(exit code 107\)/);
  // no flood: each thread stopped calling the script after its first such iteration
  assert.ok(
    (t.srv.paths.get('/ok') ?? 0) - before <= 8,
    `requests sent: ${(t.srv.paths.get('/ok') ?? 0) - before}`,
  );
});

test('an async iteration that awaits is not warned about', async () => {
  const f = join(t.dir, 'awaits.js');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { sleep } from 'tickstorm';
export const options = { vus: 1, iterations: 3 };
export default async function () { await http.get('${t.srv.url.replace(/\/$/, '')}/ok'); await sleep(0.01); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.doesNotMatch(r.stderr, WARNING);
});

test('an async iteration that returns with calls still out (an await forgotten) ends when they do, as k6 ends an iteration on an empty event loop: paced, every sample counted', async () => {
  const f = join(t.dir, 'forgot.js');
  const json = join(t.dir, 'forgot.json');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { check, group, sleep } from 'tickstorm';
export const options = { vus: 1, duration: '1s' };
export default async function () {
  http.get('${t.srv.url.replace(/\/$/, '')}/forgot-a');
  group('g', async () => {
    await sleep(0.2);
    const r = await http.get('${t.srv.url.replace(/\/$/, '')}/forgot-b');
    check(r, { 'is 200': (x) => x.status === 200 });
  });
}
`,
  );
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.doesNotMatch(r.stderr, WARNING);
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  const iterations = m.iterations.values.count;
  // each iteration lasts its 200 ms sleep: a handful in the second, not thousands back to back
  assert.ok(iterations >= 1 && iterations <= 6, `${iterations} iterations`);
  assert.equal(m.http_reqs.values.count, 2 * iterations);
  assert.equal(m.checks.values.passes, iterations, 'the group’s check ran in every iteration');
});

test('an async iteration that throws ends when the calls it left out do, as a returning one does: no flood from 1 VU', async () => {
  const f = t.script(
    'throws.js',
    `import http from 'tickstorm/http';
import { sleep } from 'tickstorm';
export const options = { vus: 1, duration: '1s' };
export default async function () {
  http.get('$URL/thrown');
  sleep(0.25);
  throw new Error('boom');
}
`,
  );
  const json = join(t.dir, 'throws.json');
  const before = t.srv.paths.get('/thrown') ?? 0;
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /iteration error: boom/);
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  const iterations = m.iterations.values.count;
  // each iteration lasts its 250 ms sleep: a handful in the second, not thousands back to back
  assert.ok(iterations >= 1 && iterations <= 6, `${iterations} iterations`);
  assert.equal(m.http_reqs.values.count, iterations, 'every request left out was counted');
  assert.equal((t.srv.paths.get('/thrown') ?? 0) - before, iterations);
});

test('a synchronous iteration that throws with a request still out is not awaiting it either: 107', async () => {
  const f = t.script(
    'sync-throws.js',
    `import http from 'tickstorm/http';
export const options = { vus: 1, duration: '30s' };
export default function () { http.get('$URL/sync-thrown'); throw new Error('boom'); }
`,
  );
  const before = t.srv.paths.get('/sync-thrown') ?? 0;
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr + r.stdout);
  assert.equal(r.stderr.match(WARNING)?.length, 1, r.stderr);
  assert.ok((t.srv.paths.get('/sync-thrown') ?? 0) - before <= 2, 'no flood');
});

test('a response read without await says to await it: in an async iteration, in check(), in a synchronous setup()', async () => {
  const f = t.script(
    'no-await-read.js',
    `import http from 'tickstorm/http';
import { check } from 'tickstorm';
export const options = { vus: 1, iterations: 2 };
export default async function () {
  if (__ITER === 0) {
    const r = http.get('$URL/read-a');
    check(r, { 'is 200': (x) => x.status === 200 });
  } else {
    const r = http.post('$URL/read-b', '{}');
    r.json();
  }
}
`,
  );
  const json = join(t.dir, 'no-await-read.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(
    r.stdout,
    /iteration error: http\.get\(\) returns a promise here: await it \(const res = await http\.get\(\.\.\.\)\) before checking it/,
  );
  assert.match(
    r.stdout,
    /iteration error: http\.post\(\) returns a promise here: .* before reading res\.json/,
  );
  const m = JSON.parse(readFileSync(json, 'utf8')).metrics;
  // the check of a promise is not recorded as a failed check: it is the script's error
  assert.equal(m.checks, undefined);
  assert.equal(m.http_reqs.values.count, 2, 'the requests left out were still counted');
  const s = t.script(
    'sync-setup.js',
    `import http from 'tickstorm/http';
export function setup() { const res = http.post('$URL/login', '{}'); return { token: res.json().token }; }
export default async function () {}
`,
  );
  const r2 = await run(['run', s]);
  assert.equal(r2.code, 107, r2.stderr + r2.stdout);
  assert.match(
    r2.stderr,
    /setup\(\) threw: TypeError: http\.post\(\) returns a promise here: await it \(const res = await http\.post\(\.\.\.\)\) before reading res\.json/,
  );
});
