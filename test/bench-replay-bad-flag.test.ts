/**
 * `tickstorm bench` and `tickstorm replay`: a flag or argument commander refuses is a usage
 * error, exit 2 with the flag named (as `serve`), not 1, which means a missed target (bench)
 * or a log that cannot be read (replay). Both exited 1 before. `npm run bench -- --bogus`
 * runs the same command. Also: `tickstorm start` exits 104 naming --data-dir or --out when it
 * cannot create that directory (it hung in Node's recursive mkdir on /proc/nope).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm } from './support/cli.ts';

for (const [args, named] of [
  [['bench', '--bogus'], /unknown option '--bogus'/],
  [['bench', '--ops', 'x'], /--ops must be a positive integer/],
  [['bench', '--runs', '0'], /--runs must be a positive integer/],
  [['replay', 'input-log-0.bin', '--bogus'], /unknown option '--bogus'/],
  [['replay'], /missing required argument 'file'/],
  [['replay', 'a.bin', 'b.bin'], /too many arguments for 'replay'/],
] as const) {
  test(`tickstorm ${args.join(' ')}: exit 2 naming it`, async () => {
    const r = await tickstorm([...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, named);
    assert.equal(r.stdout, '', 'nothing ran');
  });
}

test('bench --help and replay --help exit 0 and list the exit codes', async () => {
  for (const cmd of ['bench', 'replay']) {
    const r = await tickstorm([cmd, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Exit codes: 0 .* 1 .* 2 a bad flag/);
  }
});

test('start: a --data-dir or --out that cannot be created exits 104 naming it', {
  timeout: 60_000,
}, async () => {
  for (const flag of ['--data-dir', '--out']) {
    const r = await tickstorm(['start', flag, '/proc/nope/x', '--no-bench']);
    assert.equal(r.code, 104, `${flag}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${flag} /proc/nope/x: cannot create the directory \\(ENOENT\\)`));
  }
});
