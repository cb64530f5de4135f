/**
 * A k6 script ported without `await` (a synchronous default function calling http.get and
 * sleep) would loop as fast as the CPU allows, a flood at the target: the first such iteration
 * stops the run as a script error (107), said once; an awaiting script runs as usual.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
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
