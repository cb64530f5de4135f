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

// swarm shares run's codes but never exits 107 or 108 (a user file that does not load is 104,
// it has no abortOnFail or exec.test.abort()): its --help listed them, as run's table
test('swarm --help lists the exit codes swarm has, not 107 and 108 (script errors, aborts)', async () => {
  const r = await tickstorm(['swarm', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\nExit codes \(k6's, with Locust's rule for failures\):\n {2}0 /);
  assert.match(r.stdout, /\n {2}104 +invalid configuration: .*a user file that does not load/);
  assert.doesNotMatch(r.stdout, /\n {2}10[78] /);
});

// start ran with run's table too: 107 and 108 (scripts, abortOnFail) never come from it, and
// its 99 is --gate's only
test('start --help lists the exit codes start has, not 107 and 108', async () => {
  const r = await tickstorm(['start', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n {2}99 +a missed target, only with --gate/);
  assert.match(r.stdout, /\n {2}105 +interrupted \(Ctrl-C, SIGTERM, or SIGHUP/);
  assert.doesNotMatch(r.stdout, /\n {2}10[78] /);
});

// run stops on SIGTERM as on Ctrl-C (105, as k6), which its --help did not say
test('run --help says SIGTERM is 105 too', async () => {
  const r = await tickstorm(['run', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n {2}105 +interrupted \(Ctrl-C, or SIGTERM as in k6\)/);
});

for (const [cmd, re] of Object.entries(expected)) {
  test(`${cmd} --help lists its exit codes`, async () => {
    const r = await tickstorm([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, re);
  });
}
