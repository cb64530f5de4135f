/**
 * `run --master`: a worker that sent its final report and was then lost before the master's
 * quit (killed, its machine stopped while the others still ran) was listed as missing with
 * "none of its part is in the merged figures" and counted both reported and missing, though its
 * whole report was merged. It is now said to have left after its report, and not counted
 * missing. Real processes, the master's port chosen by the OS; the test server holds one
 * worker's request until the other worker's report is in and it was killed.
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
let answered = 0;
/** The request held (the second one), answered when the test says so. */
let held: ServerResponse | null = null;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-lost-after-report-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (answered++ === 1) held = res;
      else res.end('{}');
    });
  });
});
afterEach(async () => {
  held?.end('{}');
  held = null;
  await stopAll();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a worker lost after its report is not missing: its whole part is in the figures, and said so', async () => {
  const file = join(dir, 'two.ts');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 2 } } };
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  const json = join(dir, 'merged.json');
  const { master: m, port } = await startRunMaster(start, file, json);
  const ws = [0, 1].map(() => start(['run', '--worker', '--master-port', port]));
  const ids = await Promise.all(ws.map(async (w) => (await w.waitFor(/as worker (\S+)\n/))[1]));
  // one worker's request is answered, the other's held: the first reports, and is then killed
  const [, first] = await m.waitFor(/Worker (\S+) sent its report \(its whole part: 1 requests\)/);
  const w = ws[ids.indexOf(first)];
  w.child.kill('SIGKILL');
  const esc = first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const [, said] = await m.waitFor(
    new RegExp(`(Worker ${esc} (?:left after its report|is missing)[^\\n]*)\\n`),
  );
  assert.match(
    said,
    /left after its report \((?:connection closed|read ECONNRESET)\): its whole part is in the figures$/,
  );
  held!.end('{}');
  held = null;
  const other = ws[1 - ids.indexOf(first)];
  const [x, xo] = await Promise.all([m.exited, other.exited]);
  assert.equal(x.code, 0, m.stdout() + m.stderr());
  assert.equal(xo.code, 0, other.stdout() + other.stderr());
  assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 2 reported, 0 missing/);
  assert.doesNotMatch(m.stdout(), /none of its part is in the merged figures/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.workers.missing.length, 0);
  assert.equal(report.scenarios[0].requests, 2);
  assert.deepEqual(
    report.workers.segments.map((s: { requests: number; partial?: true }) => [s.requests, s.partial]),
    [
      [1, undefined],
      [1, undefined],
    ],
  );
});
