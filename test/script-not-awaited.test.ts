/**
 * A k6 script ported without `await` (a synchronous default function calling http.get and
 * sleep) would loop as fast as the CPU allows: the run says so, once; an awaiting one does not.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-not-awaited-');
const WARNING = /warning: scenario default: an iteration returned before its http\.\*\(\), sleep\(\)/g;

test('a synchronous iteration that leaves its request and sleep running is named, once', async () => {
  const f = join(t.dir, 'k6-style.js');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
import { sleep } from 'tickstorm';
export const options = { vus: 1, iterations: 20 };
export default function () { http.get('${t.srv.url.replace(/\/$/, '')}/ok'); sleep(1); }
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(r.stderr.match(WARNING)?.length, 1, r.stderr);
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
