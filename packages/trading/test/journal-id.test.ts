/**
 * The identity an engine names in its hello (persistence/journal-id.ts): stable for one data
 * directory across restarts, and different for another directory's contents at the same path
 * on the same host (two containers mounting their own volume at /data), which used to give
 * the same `host:path` and let each free the other's reservations at the risk manager.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JOURNAL_ID_FILE, journalIdentity } from '../src/persistence/journal-id.ts';

const root = mkdtempSync(join(tmpdir(), 'tickstorm-journal-id-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('one directory keeps its identity; other contents at the same path get another', () => {
  const dir = join(root, 'data');
  const a = journalIdentity(dir);
  assert.equal(journalIdentity(dir), a, 'the same at the next start');
  assert.match(readFileSync(join(dir, JOURNAL_ID_FILE), 'utf8'), /^[0-9a-f-]{36}\n$/);
  assert.ok(a.includes(`:${dir}:`), a);
  // another volume mounted at the same path: same host, same path, another journal
  rmSync(dir, { recursive: true });
  const b = journalIdentity(dir);
  assert.notEqual(b, a);
  assert.equal(b.slice(0, b.lastIndexOf(':')), a.slice(0, a.lastIndexOf(':')), 'host and path alike');
  assert.notEqual(journalIdentity(join(root, 'other')), b);
});
