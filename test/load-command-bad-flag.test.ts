/**
 * A flag commander refuses is invalid configuration on every load command: exit 104, as
 * docs/cli.md and each command's --help exit-code table say (k6's "invalid config"), with
 * the flag named. `start`, `merge` and `analyze` used to exit 1 for it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm } from './support/cli.ts';

for (const args of [
  ['start', '--bogus'],
  ['merge', 'a.json', '--bogus'],
  ['analyze', 'a.csv', '--bogus'],
  ['run', 'order-stress', '--bogus'],
  ['swarm', '--bogus'],
  ['http', 'http://127.0.0.1:1/', '--bogus'],
]) {
  test(`tickstorm ${args.join(' ')}: exit 104 naming the flag`, async () => {
    const r = await tickstorm(args);
    assert.equal(r.code, 104, r.stderr);
    assert.match(r.stderr, /--bogus/);
  });
}

test('merge without a report and analyze without a file: 104', async () => {
  for (const cmd of ['merge', 'analyze']) {
    const r = await tickstorm([cmd]);
    assert.equal(r.code, 104, `${cmd}: ${r.stderr}`);
    assert.match(r.stderr, /missing required argument/);
  }
});
