/**
 * Prometheus's own linter on an exposition, for tests: `promtool check metrics` (Debian's
 * `prometheus` package, installed by .ci/run) must have nothing to say.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';

export const PROMTOOL = '/usr/bin/promtool';

/** promtool check metrics accepts `text`; a diagnostic on `t` instead when promtool is missing. */
export function assertPromtoolAccepts(t: TestContext, text: string): void {
  if (!existsSync(PROMTOOL)) {
    t.diagnostic(`${PROMTOOL} missing: the exposition was not linted`);
    return;
  }
  const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool has no complaint');
  assert.equal(lint.status, 0);
}
