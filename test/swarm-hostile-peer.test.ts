/**
 * Whatever connects to a `swarm --master`'s port and speaks nonsense (JSON `null`, an HTTP
 * request, binary bytes, a line of megabytes with no newline, a hello with the wrong shape,
 * a hello followed by garbage) is logged and dropped; the master carries on and runs the test
 * on the real workers that join afterwards. Real processes, ports chosen by the OS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { trackedTickstorm } from './support/child.ts';

const USERS = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-counted-users.ts', import.meta.url),
);
/** Counted users each send exactly this many requests (the fixture's REQUESTS). */
const REQUESTS = 25;

let server: LocalServer;
let received = 0;
let dir: string;
const { start, stopAll } = trackedTickstorm();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-hostile-'));
  server = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
});
afterEach(stopAll);
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Connects to the master, writes `chunks` (stopping once the master hangs up) and resolves
 * when the master closed the connection, with what it answered.
 */
function hostile(port: string, chunks: (string | Buffer)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new Error(`the master kept a hostile connection open: ${JSON.stringify(chunks[0]).slice(0, 60)}`),
      );
    }, 10_000);
    s.on('data', (d) => {
      answer += String(d);
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    s.on('connect', async () => {
      for (const c of chunks) {
        if (s.destroyed || s.writableEnded) return;
        await new Promise<void>((r) => s.write(c, () => r()));
      }
    });
  });
}

test('garbage on the master port is logged and dropped; the test then runs on real workers', async () => {
  const json = join(dir, 'master.json');
  const m = start([
    'swarm',
    '-f',
    USERS,
    'Counted',
    '--master',
    '--headless',
    '--master-bind-port',
    '0',
    '--expect-workers',
    '2',
    '-H',
    server.url,
    '-u',
    '4',
    '-r',
    '100',
    '-t',
    '3s',
    '--only-summary',
    '--json',
    json,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  const dropped = (reason: string) =>
    new RegExp(`Dropped a connection from 127\\.0\\.0\\.1 before it said hello: ${reason}`);

  await hostile(port, ['null\n']);
  await m.waitFor(dropped('a message that is not a JSON object with a "t"'), 5000);
  await hostile(port, ['GET / HTTP/1.1\r\nHost: x\r\n\r\n']);
  await m.waitFor(dropped('a message that is not JSON'), 5000);
  await hostile(port, [Buffer.from([0xff, 0xfe, 0, 1, 0x0a])]);
  const megabyte = 'x'.repeat(1024 * 1024);
  await hostile(port, [megabyte, megabyte, megabyte]);
  await m.waitFor(dropped('a message over 1048576 bytes'), 5000);
  await hostile(port, [`${JSON.stringify({ t: 'hello', id: 'odd', classes: 'Counted' })}\n`]);
  await m.waitFor(dropped('the first message was not hello'), 5000);
  // a peer that passes for a worker, then talks garbage: dropped as a missing worker
  const hello = { t: 'hello', id: 'evil', version: '0', mode: 'swarm', classes: ['Counted'] };
  await hostile(port, [`${JSON.stringify(hello)}\n`, '[1,2]\n']);
  await m.waitFor(/Worker evil is missing \(a message that is not a JSON object with a "t"\)/, 5000);
  await hostile(port, [`${JSON.stringify({ ...hello, id: 'evil2' })}\n`, '{"t":"report"}\n']);
  await m.waitFor(
    /Worker evil2 is missing \(a malformed report message \(no report with "scenarios"\)\)/,
    5000,
  );

  const w1 = start(['swarm', '-f', USERS, '--worker', '--master-port', port]);
  const w2 = start(['swarm', '-f', USERS, '--worker', '--master-port', port]);
  const [mx, x1, x2] = await Promise.all([m.exited, w1.exited, w2.exited]);
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.equal(x1.code, 0, w1.stderr());
  assert.equal(x2.code, 0, w2.stderr());
  assert.doesNotMatch(m.stderr(), /TypeError|Error:/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(received, 4 * REQUESTS);
  assert.equal(report.scenarios[0].requests, 4 * REQUESTS);
  assert.deepEqual(
    report.workers.missing.map((w: { id: string }) => w.id),
    ['evil', 'evil2'],
  );
  assert.equal(report.workers.connected, 2);
  assert.match(m.stdout(), /Workers: 4 joined \(2 expected\), 2 at the end, 2 missing/);
});
