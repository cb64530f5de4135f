/**
 * `tickstorm replay FILE` as docs/input-log.md describes it: a file it cannot read exits 1,
 * one that is not an input log names the problem (exit 1), and a torn tail is said in the
 * summary line, also a file shorter than its header (a crash while creating it); a pipe or a
 * device is not read as a log.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-replay-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('replay: a missing file and a file that is not an input log exit 1', async () => {
  const missing = await tickstorm(['replay', join(dir, 'none.bin')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ENOENT/);
  const other = join(dir, 'other.bin');
  writeFileSync(other, Buffer.alloc(64, 7));
  const bad = await tickstorm(['replay', other]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad magic \(not a Tickstorm input log\) at byte 0/);
});

test('replay: a path the OS will not read names it (a directory gave only "EISDIR: ... read")', async () => {
  const r = await tickstorm(['replay', dir]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr.trim(),
    `tickstorm replay: ${dir}: cannot read it (EISDIR: illegal operation on a directory, read)`,
  );
});

test('replay: a pipe or a device exits 1 saying so (a pipe read as an empty log, exit 0; a FIFO hung)', {
  timeout: 60_000,
}, async () => {
  // /dev/stdin here is the child's /dev/null; `replay <(cat log)` is such a path too
  const stdin = await tickstorm(['replay', '/dev/stdin']);
  assert.equal(stdin.code, 1, stdin.stdout);
  assert.equal(stdin.stdout, '');
  assert.match(
    stdin.stderr,
    /^tickstorm replay: \/dev\/stdin: a (device|pipe \(FIFO\)), not a file: .*copy it to a file first/,
  );
  const fifo = join(dir, 'log.fifo');
  execFileSync('mkfifo', [fifo]);
  const f = await tickstorm(['replay', fifo, '--json']);
  assert.equal(f.code, 1);
  assert.equal(
    f.stderr.trim(),
    `tickstorm replay: ${fifo}: a pipe (FIFO), not a file: an input log is read by offset; copy it to a file first`,
  );
});

test('replay: a file cut inside its header reads as an empty log and says what it ignored', async () => {
  const short = join(dir, 'short.bin');
  writeFileSync(short, 'TKSINL');
  const r = await tickstorm(['replay', short]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /: 0 commands in 0 batches \(seq 0\.\.0\), 0 trades, 0 live orders; ignored 6 bytes, a file header cut short/,
  );
  const json = await tickstorm(['replay', short, '--json']);
  assert.equal(JSON.parse(json.stdout).tornBytes, 6);
});
