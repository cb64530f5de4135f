/**
 * `tickstorm merge` of a file whose scenario has an entry that is not a request row (no
 * "type" and "name"): exit 104 naming the file and the scenario, not "undefined undefined".
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tickstorm } from './support/cli.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-merge-entry-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('an entry without "type" and "name" is refused (104), naming the file and the scenario', async () => {
  const bad = join(dir, 'odd-entry.json');
  writeFileSync(bad, JSON.stringify({ scenarios: [{ scenario: 'users', entries: [{ foo: 1 }] }] }));
  const r = await tickstorm(['merge', bad, bad]);
  assert.equal(r.code, 104, r.stdout + r.stderr);
  assert.match(r.stderr, /odd-entry\.json: scenario users has an entry without "type" and "name"/);
  assert.doesNotMatch(r.stderr, /undefined/);
});
