/**
 * `tickstorm http`'s error counts say what happened: a timeout or a refused connection is not a
 * non-2xx response (before, every request without a 2xx status was counted non-2xx, so a
 * timeout showed twice and a refused port as 'non-2xx').
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';

function listen(srv: Server): Promise<number> {
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () => resolve((srv.address() as { port: number }).port)),
  );
}

test('tickstorm http: timeouts, socket errors and non-2xx are counted apart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-errors-'));
  // a server that accepts and never answers: every request times out
  const sockets = new Set<Socket>();
  const silent = createNetServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const silentPort = await listen(silent);
  // a port that refuses: taken from the OS, then closed
  const gone = createNetServer();
  const refusedPort = await listen(gone);
  await new Promise((r) => gone.close(r));
  try {
    const timeouts = join(dir, 'timeouts.json');
    const a = await run([
      'http',
      `http://127.0.0.1:${silentPort}/`,
      '-c',
      '2',
      '-d',
      '1',
      '--timeout',
      '200ms',
      '--workers',
      '1',
      '--json',
      timeouts,
    ]);
    assert.equal(a.code, 0, a.stderr);
    const t = JSON.parse(readFileSync(timeouts, 'utf8'));
    assert.ok(t.errors > 0, `errors ${t.errors}`);
    assert.equal(t.timeouts, t.errors);
    assert.equal(t.non2xx, 0);
    assert.equal(t.socket_errors, 0);
    assert.match(
      a.stdout,
      new RegExp(`Errors: ${t.errors} \\(timeouts ${t.errors}, non-2xx 0, socket errors 0\\)`),
    );

    const refused = join(dir, 'refused.json');
    const b = await run([
      'http',
      `http://127.0.0.1:${refusedPort}/`,
      '-c',
      '1',
      '-d',
      '200ms',
      '-R',
      '20',
      '--workers',
      '1',
      '--json',
      refused,
    ]);
    assert.equal(b.code, 0, b.stderr);
    const r = JSON.parse(readFileSync(refused, 'utf8'));
    assert.ok(r.errors > 0, `errors ${r.errors}`);
    assert.equal(r.status.ECONNREFUSED, r.errors);
    assert.equal(r.socket_errors, r.errors);
    assert.equal(r.non2xx, 0);
    assert.equal(r.timeouts, 0);
    assert.match(b.stdout, new RegExp(`non-2xx 0, socket errors ${r.errors}\\)`));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tickstorm http: a request still in flight when the run ends is reported as interrupted, not lost', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-interrupted-'));
  // accepts and never answers; the 30 s timeout outlasts the run and its 2 s graceful stop
  const sockets = new Set<Socket>();
  const silent = createNetServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listen(silent);
  try {
    const json = join(dir, 'interrupted.json');
    const r = await run([
      'http',
      `http://127.0.0.1:${port}/`,
      '-c',
      '1',
      '-d',
      '200ms',
      '--timeout',
      '30s',
      '--workers',
      '1',
      '--json',
      json,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.deepEqual([j.requests, j.errors, j.timeouts, j.interrupted], [0, 0, 0, 1]);
    assert.match(r.stdout, /Interrupted: 1 request still in flight when the run ended/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});
