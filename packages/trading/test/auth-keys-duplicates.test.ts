/**
 * A keys file that says one thing twice is refused at start (TRD_ERR_INVALID_CONFIG, `serve`
 * exits 2 naming the file and the duplicate), as its other problems are: two keys with one
 * `id` (which secret and role hold?), a trader key listing an account twice (a typo for
 * another account?), and a field given twice in one key (`"role":"viewer",...,"role":"admin"`:
 * JSON.parse kept the last without a word).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadKeysFile, parseKeys } from '../src/auth/keys.ts';
import { run, serveSandbox, TICKSTORM, ZERO_PORT_FLAGS } from './support/child-process.ts';

const S1 = 'a-long-random-secret-1';
const S2 = 'a-long-random-secret-2';

describe('keys file duplicates', () => {
  const box = serveSandbox('tickstorm-keys-dup-');
  after(() => box.cleanup());

  test('two keys with one id: named, with the key that has it first', () => {
    assert.throws(
      () =>
        parseKeys([
          { id: 'desk-1', secret: S1, role: 'trader', accounts: ['a'] },
          { id: 'feed-1', secret: S2, role: 'feed' },
          { id: 'desk-1', secret: S2, role: 'admin' },
        ]),
      (e: Error & { code?: string }) =>
        e.code === 'TRD_ERR_INVALID_CONFIG' &&
        /\[2\]\.id "desk-1" is used twice \(first by \[0\]\)/.test(e.message),
    );
  });

  test('an account listed twice by one key is named; two traders sharing one is fine', () => {
    assert.throws(
      () => parseKeys([{ id: 'desk-1', secret: S1, role: 'trader', accounts: ['a', 'b', 'a'] }], 'k.json'),
      (e: Error & { code?: string }) =>
        e.code === 'TRD_ERR_INVALID_CONFIG' &&
        e.message === '--keys k.json: [0] (desk-1).accounts lists "a" twice',
    );
    const ks = parseKeys([
      { id: 'desk-1', secret: S1, role: 'trader', accounts: ['a'] },
      { id: 'desk-2', secret: S2, role: 'trader', accounts: ['a', 'b'] },
    ]);
    assert.deepEqual(ks.accounts().sort(), ['a', 'b']);
  });

  test('a field given twice in one key is named (the file is read as written)', () => {
    const dir = box.tmp();
    const p = join(dir, 'keys.json');
    writeFileSync(p, `[{"id":"v","secret":"${S1}","role":"viewer","role":"admin"}]`);
    assert.throws(
      () => loadKeysFile(p),
      (e: Error & { code?: string }) =>
        e.code === 'TRD_ERR_INVALID_CONFIG' && e.message.includes(`${p}: a key gives the field "role" twice`),
    );
    // the same text with an escaped name is the same name
    writeFileSync(p, `[{"id":"v","secret":"${S1}","role":"viewer","\\u0072ole":"admin"}]`);
    assert.throws(() => loadKeysFile(p), /the field "role" twice/);
    // one field per key, across keys, is fine
    writeFileSync(
      p,
      `[{"id":"v","secret":"${S1}","role":"viewer"},{"id":"w","secret":"${S2}","role":"feed"}]`,
    );
    assert.equal(loadKeysFile(p).size, 2);
  });

  test('serve --keys with duplicates exits 2 naming the file and the duplicate, no stack trace', {
    timeout: 60_000,
  }, async () => {
    const dir = box.tmp();
    const file = join(dir, 'keys.json');
    const cases: [keys: string, said: RegExp][] = [
      [
        JSON.stringify([
          { id: 'desk-1', secret: S1, role: 'trader', accounts: ['a'] },
          { id: 'desk-1', secret: S2, role: 'viewer' },
        ]),
        /\[1\]\.id "desk-1" is used twice/,
      ],
      [
        JSON.stringify([{ id: 'desk-1', secret: S1, role: 'trader', accounts: ['acct-7', 'acct-7'] }]),
        /\[0\] \(desk-1\)\.accounts lists "acct-7" twice/,
      ],
    ];
    for (const [keys, said] of cases) {
      writeFileSync(file, keys);
      const f = await run(process.execPath, [
        TICKSTORM,
        'serve',
        '--keys',
        file,
        '--data-dir',
        join(dir, 'data'),
        ...ZERO_PORT_FLAGS,
      ]);
      assert.equal(f.code, 2, f.stderr);
      assert.ok(f.stderr.includes(`--keys ${file}: `), f.stderr);
      assert.match(f.stderr, said);
      assert.doesNotMatch(f.stderr, /\bat .*\.ts:\d+|"stack"/);
      assert.ok(!f.stderr.includes(S1) && !f.stderr.includes(S2), 'no secret printed');
    }
  });
});
