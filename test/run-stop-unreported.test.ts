/**
 * Ctrl-C on `run --master`: a worker whose part does not end within 30 s of the stop (its
 * iterations hang, with a long gracefulStop) had its last part so far merged, yet was counted
 * neither reported nor missing (`0 reported, 0 missing` beside "merged from 2 worker(s); 2 of
 * them lost"), with no line saying what of its part is in the figures. It is now missing (no
 * report within 30 s of the stop), said like any lost worker. Real processes, the master's
 * port chosen by the OS; the test server holds every second request of an iteration.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { startRunMaster, trackedTickstorm } from './support/child.ts';

let server: LocalServer;
let dir: string;
const held: ServerResponse[] = [];
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-stop-unreported-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/hold') held.push(res);
      else res.end('{}');
    });
  });
});
afterEach(async () => {
  for (const r of held.splice(0)) r.end('{}');
  await stopAll();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a worker without its report 30 s after the stop is missing, its part up to its last snapshot said so', async () => {
  const file = join(dir, 'hang.ts');
  const base = server.url.replace(/\/$/, '');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = {
  scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '60s', gracefulStop: '90s' } },
};
export default async function (): Promise<void> {
  await http.get('${base}/hit');
  await http.get('${base}/hold', { timeout: '120s' });
}
`,
  );
  const json = join(dir, 'merged.json');
  const { master: m, port } = await startRunMaster(start, file, json);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const ids = await Promise.all(ws.map(async (w) => (await w.waitFor(/as worker (\S+)\n/))[1]));
  for (const id of ids)
    await m.waitFor(new RegExp(`Worker ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} sent its part so far`));
  m.child.kill('SIGINT');
  const x = await m.exited;
  assert.equal(x.code, 105, m.stdout() + m.stderr());
  assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 0 reported, 2 missing/);
  for (const id of ids)
    assert.match(
      m.stdout(),
      new RegExp(
        `missing: ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(no report within 30 s of the stop\\); its part up to its last snapshot \\([^,]+, 1 requests\\) is in the merged figures`,
      ),
    );
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(
    report.workers.missing.map((w: { partial: { requests: number } }) => w.partial.requests),
    [1, 1],
  );
  assert.equal(report.scenarios[0].requests, 2);
});
