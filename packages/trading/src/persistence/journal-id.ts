/**
 * The identity of a data directory's journal, as an execution engine names it in its hello to
 * the risk manager (cluster/risk-ledger.ts: a later engine on the same journal frees a dead
 * instance's reservations at once). Host and path alone are not unique: two containers with
 * the same hostname (host networking, a fixed `hostname:`) can each mount their own volume at
 * the same path, and would free each other's reservations. So the directory keeps a random id
 * of its own (`journal-id`, written once, atomically), and the identity is
 * `host:path:id`: readable in logs, unique to the directory's contents.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import { replaceFileDurably } from '../sequencing/durable-file.ts';

export const JOURNAL_ID_FILE = 'journal-id';
const ID = /^[0-9a-f-]{36}$/;

/** `host:path:id` of the journal in `dir`; the id is made and stored on first use. */
export function journalIdentity(dir: string): string {
  makeDir(dir);
  const file = join(dir, JOURNAL_ID_FILE);
  let id = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  if (!ID.test(id)) {
    id = randomUUID();
    replaceFileDurably(file, [Buffer.from(`${id}\n`)]);
  }
  return `${hostname()}:${resolve(dir)}:${id}`;
}
