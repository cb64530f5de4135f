import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ResourceWatcher, readProc, SEED_LIMITS } from '../src/resources/resource-watch.ts';

function burn(ms: number): void {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
}

test('readProc reads CPU time and RSS of a local process', () => {
  const p = readProc(process.pid);
  assert.ok(p !== null);
  assert.ok(p.rssBytes > 10 * 1024 * 1024, `rss ${p.rssBytes}`);
  assert.ok(p.cpuSec > 0);
  assert.equal(readProc(2 ** 22 + 12345), null);
});

test('a busy local process shows CPU between two samples, and peaks are checked against the published limits', async () => {
  const w = new ResourceWatcher([{ kind: 'pid', pid: process.pid, label: 'self' }], 60_000);
  await w.sample();
  burn(300);
  await w.sample();
  const r = await w.stop();
  assert.equal(r.source, 'proc');
  assert.equal(r.samples.length, 1);
  assert.ok(r.samples[0].cpuPercent > 5, `cpu ${r.samples[0].cpuPercent}`);
  assert.deepEqual(r.limits, { ...SEED_LIMITS });
  assert.equal(r.peaks[0].target, 'self');
  assert.equal(r.peaks[0].pass, r.peaks[0].cpuPercent < 80 && r.peaks[0].rssBytes < 2 * 1024 ** 3);
});

test('api samples come from /api/metrics/system; a process over 80% CPU fails the check', async () => {
  let cpu = 12.5;
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ pid: 42, cpuPercent: cpu, rssBytes: 300 * 1024 * 1024 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/metrics/system`;
    const w = new ResourceWatcher([{ kind: 'api', url, label: 'tickstorm' }], 60_000);
    await w.sample();
    cpu = 93;
    await w.sample();
    const r = await w.stop();
    assert.equal(r.source, 'api');
    assert.deepEqual(
      r.samples.map((s) => s.cpuPercent),
      [12.5, 93],
    );
    assert.equal(r.peaks.length, 1);
    assert.equal(r.peaks[0].target, 'tickstorm (pid 42)');
    assert.equal(r.peaks[0].cpuPercent, 93);
    assert.equal(r.peaks[0].pass, false);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
