/**
 * `run --master`: a worker's part that does not merge (here a hostile worker's snapshot whose
 * packed counters do not decode, the worker then lost) used to throw in the master's merge:
 * the master exited with LAB_ERR_INVALID_REPORT and wrote no figures at all, the good
 * worker's whole report with them. It is now left out with a line naming the worker and why,
 * the worker is missing, and the others' parts are merged and written.
 * A real master and a real worker; the hostile worker speaks the link's protocol over a socket.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startRunMaster } from './support/child.ts';
import { runFixture } from './support/run-fixture.ts';

const fx = runFixture('tickstorm-run-corrupt-');
const { start } = fx;

/**
 * Joins the master as a worker and answers prepared; after go sends `m` ('part': then hangs
 * up; 'report': then waits for the master's quit).
 */
function hostileWorker(port: number, m: { t: 'part' | 'report'; report: unknown }): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setEncoding('utf8');
    s.on('error', reject);
    s.on('connect', () =>
      s.write(`${JSON.stringify({ t: 'hello', id: 'hostile', version: '0', mode: 'run', classes: [] })}\n`),
    );
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const got = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (got.t === 'test') s.write(`${JSON.stringify({ t: 'prepared' })}\n`);
        if (got.t === 'go' && m.t === 'part') {
          s.end(`${JSON.stringify({ ...m, at: Date.now() })}\n`);
          resolve();
        } else if (got.t === 'go') s.write(`${JSON.stringify(m)}\n`);
        if (got.t === 'quit') {
          s.end();
          resolve();
        }
      }
    });
  });
}

const script = (url: string) => `import http from 'tickstorm/http';
export const options = {
  scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 20, maxDuration: '30s' } },
};
export default async function (): Promise<void> {
  await http.get('${url.replace(/\/$/, '')}/hit');
}
`;

test("a lost worker's snapshot that does not merge is left out, named, and the others' figures are written", async () => {
  const file = join(fx.dir, 'corrupt.ts');
  writeFileSync(file, script(fx.server.url));
  const json = join(fx.dir, 'merged.json');
  const { master: m, port } = await startRunMaster(start, file, json);
  const w = start(['run', '--worker', '--master-port', port]);
  const histogram = { hdr: '', packed: 'AQ==', count: 1, sumUs: 1000, minUs: 1000, maxUs: 1000 };
  const entry = {
    type: 'GET',
    name: '/hit',
    requests: 1,
    failures: 0,
    bytes: 2,
    statusCounts: {},
    histogram,
  };
  const part = {
    tool: 'tickstorm',
    version: '0',
    startedAt: Date.now(),
    finishedAt: Date.now(),
    target: 'x',
    scenarios: [
      { scenario: 's', requests: 1, entries: [entry], failureRows: [], timeseries: [], params: {} },
    ],
    thresholds: [],
    exitCode: 0,
  };
  await hostileWorker(Number(port), { t: 'part', report: part });
  const [x, xw] = await Promise.all([m.exited, w.exited]);
  assert.equal(xw.code, 0, w.stdout() + w.stderr());
  assert.equal(x.code, 0, m.stdout() + m.stderr());
  assert.match(
    m.stderr(),
    /worker hostile's last snapshot does not merge, so it is left out of the figures: .*histogram does not decode/,
  );
  const report = JSON.parse(readFileSync(json, 'utf8'));
  const missing = report.workers.missing as { id: string; reason: string; partial?: unknown }[];
  assert.equal(missing.length, 1);
  assert.equal(missing[0].id, 'hostile');
  assert.match(missing[0].reason, /its last snapshot does not merge/);
  assert.equal(missing[0].partial, undefined);
  // the real worker's whole part (10 of the 20 iterations) is the merged figure
  const merged = report.scenarios.reduce((a: number, s: { requests: number }) => a + s.requests, 0);
  assert.equal(merged, 10);
  assert.match(
    m.stdout(),
    /missing: hostile \((?:connection closed|read ECONNRESET); its last snapshot does not merge/,
  );
});

test("a worker's report whose script counters are no numbers is left out, named, and the others' figures are written", async () => {
  const file = join(fx.dir, 'counters.ts');
  writeFileSync(file, script(fx.server.url));
  const json = join(fx.dir, 'merged-counters.json');
  const { master: m, port } = await startRunMaster(start, file, json);
  const w = start(['run', '--worker', '--master-port', port]);
  const report = {
    tool: 'tickstorm',
    version: '0',
    startedAt: Date.now(),
    finishedAt: Date.now(),
    target: 'x',
    scenarios: [],
    thresholds: [],
    exitCode: 0,
    script: {
      declared: {},
      thresholds: [],
      scenarios: [
        { scenario: 's', counters: { 'metric:counter:c': 'x' }, trends: {}, iterations: 1, dropped: 0 },
      ],
    },
  };
  await hostileWorker(Number(port), { t: 'report', report });
  const [x, xw] = await Promise.all([m.exited, w.exited]);
  assert.equal(xw.code, 0, w.stdout() + w.stderr());
  assert.equal(x.code, 0, m.stdout() + m.stderr());
  assert.match(
    m.stderr(),
    /worker hostile's report does not merge, so it is left out of the figures: scenario s: counter metric:counter:c is not a number/,
  );
  const merged = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(merged.workers.missing.length, 1);
  assert.match(merged.workers.missing[0].reason, /^its report does not merge/);
  assert.equal(
    merged.scenarios.reduce((a: number, s: { requests: number }) => a + s.requests, 0),
    10,
  );
});
