/**
 * k6's run flags a k6 CI job carries (--no-usage-report, --no-setup, --throw, --summary-mode,
 * -v, --dns, ...) are refused (104) with what fits instead, every one at once, not a bare
 * "unknown option".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm } from './support/cli.ts';

test("k6's flags that run lacks each say what fits, all at once", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-k6-hints-'));
  try {
    const f = join(dir, 's.js');
    writeFileSync(f, 'export default function () {}\n');
    const r = await tickstorm([
      'run',
      f,
      '--no-usage-report',
      '--no-setup',
      '--throw',
      '--summary-mode=full',
      '-v',
      '--dns',
      'ttl=1m',
      '--no-connection-reuse',
      '--setup-timeout',
      '10s',
    ]);
    assert.equal(r.code, 104, r.stderr);
    for (const re of [
      /'--no-usage-report': k6's --no-usage-report is not in tickstorm run; tickstorm sends no usage report/,
      /'--no-setup': .*setup\(\) and teardown\(\) run whenever the script exports them/,
      /'--throw': .*a failed request never throws/,
      /'--summary-mode=full': k6's --summary-mode is not in tickstorm run; there is one end-of-test summary/,
      /'-v': .*no log levels/,
      /'--dns': .*no per-run DNS/,
      /'--no-connection-reuse': .*kept alive per origin/,
      /'--setup-timeout': .*options\.setupTimeout/,
    ])
      assert.match(r.stderr, re);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
