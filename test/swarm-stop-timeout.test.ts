/**
 * Locust's -s/--stop-timeout: at the end of -t, a user in the middle of a task may finish it
 * (its request is counted) for that long; without it (Locust's default 0) the request in
 * flight is aborted and not counted. Either way onStop runs. The server answers /slow after
 * 1.5 s: the run's -t (1 s) ends while the request is in flight.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { tickstorm } from './support/cli.ts';

const USERS = fileURLToPath(new URL('../packages/loadlab/test/fixtures/slow-task-users.ts', import.meta.url));
const SLOW_MS = 1500;
let server: LocalServer;
let dir: string;
const pending = new Set<NodeJS.Timeout>();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-stop-timeout-'));
  server = await startServer((req, res) => {
    req.resume();
    const t = setTimeout(() => {
      pending.delete(t);
      res.end('ok');
    }, SLOW_MS);
    pending.add(t);
  });
});
after(async () => {
  for (const t of pending) clearTimeout(t);
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(extra: string[]): Promise<Map<string, { requests: number; p50: number }>> {
  const json = join(dir, `r${extra.length}.json`);
  const r = await tickstorm([
    'swarm',
    '-f',
    USERS,
    '--headless',
    '--only-summary',
    '-u',
    '1',
    '-t',
    '1s',
    '-H',
    server.url,
    '--json',
    json,
    ...extra,
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const entries = JSON.parse(readFileSync(json, 'utf8')).scenarios[0].entries as {
    name: string;
    requests: number;
    latency_ms: { p50: number };
  }[];
  return new Map(entries.map((e) => [e.name, { requests: e.requests, p50: e.latency_ms.p50 }]));
}

describe("tickstorm swarm -s/--stop-timeout (Locust's)", () => {
  test('the task in flight finishes and is counted; without it, it is aborted', async () => {
    const graced = await run(['-s', '5s']);
    assert.equal(graced.get('slow')?.requests, 1, 'the request finished within the grace');
    assert.ok((graced.get('slow')?.p50 ?? 0) >= SLOW_MS - 50);
    assert.equal(graced.get('on_stop')?.requests, 1);
    const aborted = await run([]);
    assert.equal(aborted.get('slow'), undefined, 'aborted, not counted');
    assert.equal(aborted.get('on_stop')?.requests, 1);
  });

  test('a bad value is named (104)', async () => {
    const r = await tickstorm(['swarm', '-f', USERS, '--headless', '-t', '1s', '--stop-timeout', 'soon']);
    assert.equal(r.code, 104);
    assert.match(r.stderr, /-s\/--stop-timeout must be a duration like 30s \(or 0\), got 'soon'/);
  });
});
