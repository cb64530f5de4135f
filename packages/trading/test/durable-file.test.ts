import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { replaceFileDurably, writeAllSync } from '../src/sequencing/durable-file.ts';

test('writeAllSync: every byte of more buffers than one writev takes, empty ones included', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-durable-'));
  try {
    const chunks: Buffer[] = [];
    for (let i = 0; i < 1500; i++) chunks.push(i % 7 === 0 ? Buffer.alloc(0) : Buffer.from(`chunk ${i};`));
    chunks.push(Buffer.alloc(3 << 20, 0x61)); // one large buffer at the end
    const path = join(dir, 'out');
    const fd = openSync(path, 'w');
    try {
      writeAllSync(fd, chunks);
    } finally {
      closeSync(fd);
    }
    assert.ok(readFileSync(path).equals(Buffer.concat(chunks)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('replaceFileDurably: replaces the contents; when the temp file cannot be written the old file is untouched', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-durable-'));
  try {
    const path = join(dir, 'state.json');
    writeFileSync(path, 'old\n');
    replaceFileDurably(path, [Buffer.from('new '), Buffer.from('contents\n')]);
    assert.equal(readFileSync(path, 'utf8'), 'new contents\n');
    // a directory where the temp file goes: the open fails, the file keeps its contents
    mkdirSync(`${path}.tmp`);
    assert.throws(() => replaceFileDurably(path, [Buffer.from('lost\n')]), /EISDIR/);
    assert.equal(readFileSync(path, 'utf8'), 'new contents\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
