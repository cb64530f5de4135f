/**
 * A scenario's end, as k6's gracefulStop: what is still running is abandoned, not waited for
 * (a request the target holds, a long sleep), and one scenario's end leaves the other
 * scenarios' sockets and requests alone.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocketServer } from 'ws';
import { BIN } from './support/cli.ts';

let dir: string;
let url: string;
let wsUrl: string;
const held: ServerResponse[] = [];
// /hold is never answered; anything else at once
const server = createServer((req, res) => {
  if (req.url === '/hold') held.push(res);
  else res.end('ok');
});
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
wss.on('connection', (c) => c.on('message', (m) => c.send(`echo:${m}`)));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-scenario-end-'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (wss.address() === null) await new Promise<void>((r) => wss.once('listening', () => r()));
  wsUrl = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
});
after(async () => {
  for (const r of held) r.destroy();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `tickstorm run FILE --json`, killing it if it has not exited by itself within `limitMs`. */
function runBounded(
  file: string,
  limitMs: number,
): Promise<{ code: number | null; ms: number; out: string; json: string }> {
  const json = `${file}.json`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [BIN, 'run', file, '--json', json], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(watchdog);
      resolve({ code, ms: performance.now() - t0, out, json });
    }),
  );
}

test('gracefulStop 0s: a request the target never answers is cut, not counted; the run ends', async () => {
  const f = join(dir, 'hold.ts');
  writeFileSync(
    f,
    `import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '1s', gracefulStop: '0s' } } };
export default async function () { await http.get('${url}/hold'); }
`,
  );
  const r = await runBounded(f, 40_000);
  assert.equal(r.code, 0, r.out);
  const j = JSON.parse(readFileSync(r.json, 'utf8'));
  assert.equal(j.metrics.http_reqs.values.count, 0, 'the cut request is not a sample');
  assert.equal(j.metrics.iterations.values.count, 0);
});

test('a sleep longer than the run is cut at the end: the process exits at once', async () => {
  const f = join(dir, 'sleep.ts');
  writeFileSync(
    f,
    `import { sleep } from 'tickstorm';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '1s', gracefulStop: '0s' } } };
export default async function () { await sleep(120); }
`,
  );
  const r = await runBounded(f, 60_000);
  assert.equal(r.code, 0, r.out);
  assert.ok(r.ms < 45_000, `exited after ${Math.round(r.ms)} ms, not after the 120 s sleep`);
});

test("one scenario's end leaves another scenario's WebSocket open", async () => {
  const f = join(dir, 'two.ts');
  writeFileSync(
    f,
    `import ws from 'tickstorm/ws';
import http from 'tickstorm/http';
import { check, sleep } from 'tickstorm';
export const options = {
  scenarios: {
    quick: { executor: 'shared-iterations', vus: 1, iterations: 1, exec: 'quick' },
    stream: { executor: 'shared-iterations', vus: 1, iterations: 1, exec: 'stream' },
  },
  thresholds: { checks: ['rate==1'] },
};
export async function quick() { await sleep(0.5); await http.get('${url}/ok'); } // ends while stream's socket is open
export async function stream() {
  const s = await ws.connect('${wsUrl}/');
  await sleep(1.5); // quick has ended by now
  s.send('x');
  let got = '';
  try { got = await s.next(5000); } catch (e) { got = String(e); }
  check(got, { 'echoed after the other scenario ended': (g) => g === 'echo:x' });
  await s.close();
}
`,
  );
  const r = await runBounded(f, 60_000);
  assert.equal(r.code, 0, r.out);
  const j = JSON.parse(readFileSync(r.json, 'utf8'));
  assert.deepEqual(j.checks, [{ name: 'echoed after the other scenario ended', passes: 1, fails: 0 }]);
});
