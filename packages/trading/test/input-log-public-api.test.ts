/**
 * docs/input-log.md's "Reading" example, as written, run by a user against a real input log:
 * everything it imports comes from the package entry (`@tickstorm/trading`), and replaying
 * the log through it rebuilds the books the writer's engine had.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InstrumentTable } from '@tickstorm/protocol';
import { MatchingEngine } from '../src/book/matching-engine.ts';
import { LocalShard } from '../src/routing/local-shard.ts';
import { CommandRecord } from '../src/sequencing/command-codec.ts';
import { InputLogWriter } from '../src/sequencing/input-log-writer.ts';
import { CommandStream } from './support/command-stream.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
// Inside the repository (gitignored .tmp/), so '@tickstorm/trading' resolves as for a user's file.
mkdirSync(join(root, '.tmp'), { recursive: true });
const dir = mkdtempSync(join(root, '.tmp', 'input-log-doc-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  try {
    rmdirSync(join(root, '.tmp')); // only when nothing else is in it
  } catch {}
});

function docExample(): string {
  const md = readFileSync(join(root, 'docs', 'input-log.md'), 'utf8');
  const block = /## Reading\n\n```ts\n([\s\S]*?)```/.exec(md);
  assert.ok(block, 'docs/input-log.md has a ts block under "## Reading"');
  return block[1];
}

test("docs/input-log.md's reading example runs against the package entry", () => {
  const N = 2_000;
  const logPath = join(dir, 'input-log-0.bin');
  const engine = new MatchingEngine(new InstrumentTable());
  const log = InputLogWriter.open(logPath, { batchRecords: 256 });
  const shard = new LocalShard(engine, { log });
  const stream = new CommandStream({ seed: 7, books: [0, 1], accounts: 4 });
  const cmd = new CommandRecord();
  for (let i = 0; i < N; i++) shard.apply(stream.next(cmd));
  log.closeSync();

  const source = docExample();
  assert.match(source, /from '@tickstorm\/trading'/);
  const script = join(dir, 'read-log.ts');
  writeFileSync(
    script,
    `${source.replace("'data/input-log-0.bin'", JSON.stringify(logPath))}\nconsole.log(JSON.stringify(engine.snapshot()));\n`,
  );
  const res = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: dir, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  assert.deepEqual(lines, [`${N} 0 0`, `${N} ${N}`, JSON.stringify(engine.snapshot())]);
  assert.ok(engine.liveOrders > 0, 'the stream left resting orders to compare');
});
