/**
 * A k6 script importing a k6 module that is not here (k6/ws, k6/crypto, k6/experimental/...)
 * stops at load (107) saying what to use instead, not only "not a built-in module".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm } from './support/cli.ts';

test('k6 modules that are not here name what to use instead (107)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-k6-mod-'));
  try {
    const cases: [string, RegExp][] = [
      [
        'k6/ws',
        /'k6\/ws' is not a built-in module: k6's callback WebSocket API is not here; tickstorm\/ws is a promise API/,
      ],
      ['k6/crypto', /'k6\/crypto' is not a built-in module: use Node's node:crypto/],
      [
        'k6/experimental/redis',
        /'k6\/experimental\/redis' is not a built-in module: k6's experimental modules are not here/,
      ],
    ];
    const rs = await Promise.all(
      cases.map(([m], i) => {
        const f = join(dir, `s${i}.js`);
        writeFileSync(f, `import x from '${m}';\nexport default function () { return x; }\n`);
        return tickstorm(['run', f]);
      }),
    );
    rs.forEach((r, i) => {
      assert.equal(r.code, 107, r.stderr);
      assert.match(r.stderr, cases[i][1]);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
