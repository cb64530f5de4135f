/**
 * The Node version package.json's `engines` declares is one the whole install accepts: every
 * package in package-lock.json whose `engines.node` is set admits the declared minimum (no
 * EBADENGINE on the oldest Node the project claims), and the minimum is no lower than what
 * the project's own code needs (node:zlib crc32: Node 20.15).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import semver from 'semver';

const json = (rel: string) => JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
const PKG = json('../package.json') as { engines: { node: string } };
const LOCK = json('../package-lock.json') as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

const declared = PKG.engines.node;
const min = semver.minVersion(declared);

describe('engines.node', () => {
  test('package.json declares a lower bound no lower than the code needs', () => {
    assert.ok(min !== null, `engines.node ${declared} has a minimum`);
    // zlib.crc32 (the input log's checksums) arrived in Node 20.15.
    assert.ok(semver.gte(min, '20.15.0'), `${declared}: node:zlib crc32 needs 20.15`);
    assert.ok(
      semver.satisfies(process.version, declared),
      `this Node (${process.version}) is within ${declared}`,
    );
  });

  test('every locked package admits the declared minimum', () => {
    assert.ok(min !== null);
    const refused: string[] = [];
    for (const [key, entry] of Object.entries(LOCK.packages)) {
      // engines as an array is the legacy form npm ignores.
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (range === undefined) continue;
      if (!semver.satisfies(min, range)) refused.push(`${key || '(root)'}@${entry.version}: node ${range}`);
    }
    assert.deepEqual(refused, [], `packages refusing Node ${min.version}`);
  });
});
