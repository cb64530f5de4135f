import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { hasMainOnlyFlag, spawnTsWorker } from '@tickstorm/protocol';

describe('spawnTsWorker', () => {
  it('runs a TypeScript entry with the given workerData and exits cleanly', async () => {
    const entry = new URL('./support/echo-worker.ts', import.meta.url);
    const w = spawnTsWorker(entry, { workerData: { n: 21 } });
    const [msg] = await once(w, 'message');
    assert.deepEqual(msg, { n: 42, entry: entry.href });
    const [code] = await once(w, 'exit');
    assert.equal(code, 0);
  });

  it('refuses non-object workerData', () => {
    const entry = new URL('./support/echo-worker.ts', import.meta.url);
    assert.throws(() => spawnTsWorker(entry, { workerData: 5 }), TypeError);
    assert.throws(() => spawnTsWorker(entry, { workerData: [1] }), TypeError);
  });

  it('recognises the main-script-only flags a worker would refuse', () => {
    assert.equal(hasMainOnlyFlag(['--import', 'tsx', '--max-semi-space-size=64']), false);
    assert.equal(hasMainOnlyFlag(['--input-type=module', '-e', 'x']), true);
    assert.equal(hasMainOnlyFlag(['--eval=x']), true);
    assert.equal(hasMainOnlyFlag(['-p', 'x']), true);
  });
});
