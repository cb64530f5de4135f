/**
 * `run --worker --cert/--key`: a part snapshot carried each ended scenario's result as the run
 * had it, its params holding the script's TLS settings with the worker's private key (the final
 * report took them out only once every scenario ended). When that worker was lost, the master
 * merged the snapshot and wrote the key into its --json. A scenario's result now never shows
 * them. Real processes, the master's port chosen by the OS; the kill waits for the master's line
 * that the worker's first snapshot arrived and for a few seconds more of load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import type { LocalServer } from '@tickstorm/loadlab/testing';
import { selfSignedCert } from './support/certs.ts';
import { startRunMaster, trackedTickstorm } from './support/child.ts';
import { type HitServer, startHitServer } from './support/hit-server.ts';

let server: LocalServer;
let moreHits: HitServer['moreHits'];
let dir: string;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-killed-keys-'));
  selfSignedCert({ cwd: dir, key: 'client.key', cert: 'client.pem', cn: 'client', days: 2 });
  ({ server, moreHits } = await startHitServer());
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a lost worker's snapshot of an ended scenario does not carry its client key into the master's report", async () => {
  const file = join(dir, 'two.ts');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = {
  scenarios: {
    quick: { executor: 'shared-iterations', vus: 2, iterations: 2 },
    long: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '10s', preAllocatedVUs: 10 },
  },
};
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  const json = join(dir, 'merged.json');
  const { master: m, port } = await startRunMaster(start, file, json);
  // the worker with the key joins first: its part is the first the master merges
  const w1 = start([
    'run',
    '--worker',
    '--master-port',
    port,
    '--cert',
    join(dir, 'client.pem'),
    '--key',
    join(dir, 'client.key'),
  ]);
  const [, id1] = await w1.waitFor(/as worker (\S+)\n/);
  const w2 = start(['run', '--worker', '--master-port', port]);
  await Promise.all([w1.waitFor(/The master said go/), w2.waitFor(/The master said go/)]);
  await m.waitFor(new RegExp(`Worker ${id1.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} sent its part so far`));
  // a few seconds more of load (40/s in all): its later snapshots hold 'quick' ended
  await moreHits(100);
  w1.child.kill('SIGKILL');
  const [x, x2] = await Promise.all([m.exited, w2.exited]);
  assert.equal(x2.code, 0, w2.stdout() + w2.stderr());
  assert.equal(x.code, 0, m.stdout() + m.stderr());
  const text = readFileSync(json, 'utf8');
  const report = JSON.parse(text);
  assert.equal(report.workers.segments.find((s: { id: string }) => s.id === id1).partial, true);
  const quick = report.scenarios.find((s: { scenario: string }) => s.scenario === 'quick');
  assert.equal(quick.requests, 2);
  assert.doesNotMatch(text, /PRIVATE KEY/);
  assert.equal(quick.params.tls, undefined);
});
