/**
 * docs/cli.md says the `--help` of each command lists its exit codes. `serve`, `http`, `merge`
 * and `analyze` did not: each now ends with an "Exit codes:" line naming its codes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm } from './support/cli.ts';

const expected: Record<string, RegExp> = {
  serve:
    /\nExit codes: 0 stopped gracefully .* 1 it cannot start .* 2 a bad configuration, flag or argument, 70 an uncaught exception\./,
  http: /\nExit codes: 0 it ran .* 104 a bad flag or value, 1 the server certificate refused/,
  merge:
    /\nExit codes: 0 every threshold met on the merged figures, 99 one failed there, 104 a report missing/,
  analyze: /\nExit codes: 0 analysed, 104 bad input .* 1 another error/,
};

for (const [cmd, re] of Object.entries(expected)) {
  test(`${cmd} --help lists its exit codes`, async () => {
    const r = await tickstorm([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, re);
  });
}
