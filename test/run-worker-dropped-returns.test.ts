/**
 * `run --master`: a worker dropped for a missed heartbeat (paused with SIGSTOP past the
 * heartbeat limit) stands for its part with its last snapshot. When it runs again (SIGCONT)
 * while the run still goes, it ends its part and sends its report: that report replaces the
 * snapshot in the merged figures, once (the master used to ignore it and lose what the worker
 * measured after its last snapshot), and the console and --json say it came back.
 * A report that comes back saying the part stopped the test (108: exec.test.abort(), an
 * abortOnFail threshold; 107: a script error) stops the other workers' parts, as a connected
 * worker's does (before, they ran on to the end of the test): shown with a worker that speaks
 * the link's protocol over a socket.
 * Real processes, the master's port chosen by the OS; the pause waits for the master's lines.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { startRunMaster, trackedTickstorm } from './support/child.ts';

let server: LocalServer;
let dir: string;
let hits = 0;
let onHit: (() => void) | null = null;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-run-dropped-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits++;
      onHit?.();
      res.end('{}');
    });
  });
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once the server took `n` more requests. */
function moreHits(n: number): Promise<void> {
  const until = hits + n;
  return new Promise((resolve) => {
    onHit = () => {
      if (hits >= until) {
        onHit = null;
        resolve();
      }
    };
  });
}

/** Writes a script of one GET per iteration, 40 a second for `durationSec`. */
function hitScript(name: string, durationSec: number): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = {
  scenarios: {
    s: { executor: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '${durationSec}s', preAllocatedVUs: 10 },
  },
};
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/hit');
}
`,
  );
  return file;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a worker dropped for its silence that comes back while the run goes: its report replaces its last snapshot, once', () =>
  droppedReturns(0, 15));

test("the same after a pause longer than the worker's own 10 s watch on the master (it reads the drop first)", () =>
  // w2 alone makes 20 requests a second while w1 is stopped: 230 of them take over 11 s
  droppedReturns(230, 25));

async function droppedReturns(pauseHits: number, durationSec: number): Promise<void> {
  const file = hitScript(`dropped${pauseHits}.ts`, durationSec);
  const json = join(dir, `merged${pauseHits}.json`);
  const { master: m, port } = await startRunMaster(start, file, json);
  const w1 = start(['run', '--worker', '--master-port', port]);
  const w2 = start(['run', '--worker', '--master-port', port]);
  const [, id1] = await w1.waitFor(/as worker (\S+)\n/);
  await Promise.all([w1.waitFor(/The master said go/), w2.waitFor(/The master said go/)]);
  await m.waitFor(new RegExp(`Worker ${esc(id1)} sent its part so far`));
  // some of w1's requests after that snapshot (40 a second in all, 20 of them w1's)
  await moreHits(30);
  w1.child.kill('SIGSTOP');
  await m.waitFor(new RegExp(`Worker ${esc(id1)} is missing \\(no heartbeat`));
  if (pauseHits > 0) await moreHits(pauseHits);
  w1.child.kill('SIGCONT');
  const [, n, snap] = await m.waitFor(
    new RegExp(
      `Worker ${esc(id1)} came back after it was dropped \\([^)]*\\): its report \\((\\d+) requests\\) replaces its last snapshot \\((\\d+) requests\\)`,
    ),
  );
  const [x, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
  assert.equal(x2.code, 0, w2.stdout() + w2.stderr());
  assert.match(w1.stderr(), /dropped this worker \(no heartbeat/);
  assert.notEqual(x1.code, 0);
  assert.equal(x.code, 0, m.stdout() + m.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(report.workers.missing, []);
  assert.equal(report.workers.returned.length, 1);
  const back = report.workers.returned[0];
  assert.equal(back.id, id1);
  assert.equal(back.requests, Number(n));
  assert.equal(back.snapshotRequests, Number(snap));
  assert.match(back.reason, /^no heartbeat for/);
  // what it measured after its snapshot is in: more than the snapshot held
  assert.ok(Number(n) > Number(snap), `${n} > ${snap}`);
  const segs = report.workers.segments as { id: string; requests: number; partial?: true }[];
  const w1seg = segs.find((s) => s.id === id1)!;
  const w2seg = segs.find((s) => s.id !== id1)!;
  assert.equal(w1seg.requests, Number(n));
  assert.equal(w1seg.partial, undefined);
  // once: the merged figures are the two reports, no snapshot beside them
  const merged = report.scenarios.reduce((a: number, s: { requests: number }) => a + s.requests, 0);
  assert.equal(merged, w2seg.requests + Number(n));
  assert.match(m.stdout(), /Workers: 2 joined \(2 expected\), 2 reported, 0 missing/);
  assert.match(m.stdout(), new RegExp(`came back: ${esc(id1)} \\(dropped: no heartbeat`));
  assert.doesNotMatch(m.stdout(), /of them lost/);
}

/**
 * A worker over a raw socket: joins, answers prepared, beats until go, then falls silent, as a
 * paused machine does; told 'dropped', it sends a report whose part stopped the test (108).
 * (A real worker's own abort races, after SIGCONT, with its reading of 'dropped'.)
 */
function silentThenAborted(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    const send = (m: unknown) => s.write(`${JSON.stringify(m)}\n`);
    const beat = setInterval(() => send({ t: 'heartbeat', users: 0, state: 'ready' }), 500);
    let buf = '';
    s.setEncoding('utf8');
    s.on('error', reject);
    s.on('close', () => {
      clearInterval(beat);
      resolve();
    });
    s.on('connect', () => send({ t: 'hello', id: 'paused', version: '0', mode: 'run', classes: [] }));
    s.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const got = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (got.t === 'test') send({ t: 'prepared' });
        if (got.t === 'go') clearInterval(beat);
        if (got.t === 'dropped') {
          const now = Date.now();
          s.end(
            `${JSON.stringify({
              t: 'report',
              report: {
                tool: 'tickstorm',
                version: '0',
                startedAt: now,
                finishedAt: now,
                target: 'x',
                scenarios: [],
                thresholds: [],
                exitCode: 108,
              },
            })}\n`,
          );
        }
      }
    });
  });
}

test("a worker that comes back with its part aborted (108) stops the other workers' parts", {
  timeout: 45_000,
}, async () => {
  const file = hitScript('dropped-abort.ts', 120);
  const json = join(dir, 'merged-abort.json');
  const { master: m, port } = await startRunMaster(start, file, json);
  const w = start(['run', '--worker', '--master-port', port]);
  const paused = silentThenAborted(Number(port));
  paused.catch(() => {}); // awaited below; should an assertion fail first, not an unhandled rejection
  await m.waitFor(/Worker paused is missing \(no heartbeat/);
  await m.waitFor(/Worker paused came back after it was dropped/);
  await m.waitFor(/Worker paused stopped the test \(exit 108\): stopping the other workers' parts/);
  // long before the 120 s the test would run (the test's own timeout is 45 s)
  const [x, xw] = await Promise.all([m.exited, w.exited, paused]);
  assert.equal(x.code, 108, m.stdout() + m.stderr());
  assert.equal(xw.code, 0, w.stdout() + w.stderr());
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.exitCode, 108);
  assert.deepEqual(
    report.workers.returned.map((r: { id: string }) => r.id),
    ['paused'],
  );
  // the real worker's part was stopped, not run to its end: its report came
  assert.deepEqual(report.workers.missing, []);
});
