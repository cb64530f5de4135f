/**
 * `run --master`: a worker killed (SIGKILL) while its part runs is reported missing as a
 * worker of the running test (`the test goes on with 1 worker(s)`), not as one that left
 * "before any test ran there"; the other worker's part completes and the report lists the
 * lost one. A worker started again during the run is told it runs no part of it (the parts
 * were split at the start) and quits with the others. Real processes; the master's port is chosen by the OS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { startRunMaster, trackedTickstorm } from './support/child.ts';

let server: LocalServer;
let dir: string;
let onHit: (() => void) | null = null;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-killed-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onHit?.();
      onHit = null;
      res.end('{}');
    });
  });
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a run worker killed mid-run is missing from the running test, not from before it', async () => {
  const file = join(dir, 'killed.ts');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '8s' } } };
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  const json = join(dir, 'merged.json');
  const { master: m, port } = await startRunMaster(start, file, json);
  const [w1, w2] = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  await Promise.all([w1.waitFor(/The master said go/), w2.waitFor(/The master said go/)]);
  await new Promise<void>((resolve) => {
    onHit = resolve;
  });
  w1.child.kill('SIGKILL');
  const [, line] = await m.waitFor(
    /(Worker \S+ is missing \((?:connection closed|read ECONNRESET)\)[^\n]*)\n/,
  );
  assert.match(line, /; the test goes on with 1 worker\(s\)$/);
  assert.doesNotMatch(line, /before any test ran there/);
  // a worker started again joins, is told it runs no part of this run, and quits with the others
  const w3 = start(['run', '--worker', '--master-port', port]);
  await m.waitFor(
    /joined while the run goes: the parts were split when it started, so it runs no part of this one/,
  );
  const [, x2, x3] = await Promise.all([m.exited, w2.exited, w3.exited]);
  assert.equal(x2.code, 0, w2.stdout() + w2.stderr());
  assert.equal(x3.code, 0, w3.stdout() + w3.stderr());
  assert.doesNotMatch(w3.stdout(), /The master said go/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.workers.missing.length, 1);
  assert.match(report.workers.missing[0].reason, /connection closed|read ECONNRESET/);
});
