import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '@tickstorm/loadlab/testing';
import { startTickstorm } from './support/child.ts';
import { tickstorm as run } from './support/cli.ts';

test('tickstorm http: closed and open model runs write the JSON summary', async () => {
  const srv = await startServer();
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-'));
  try {
    const closed = join(dir, 'closed.json');
    const a = await run(['http', srv.url, '-c', '4', '-d', '1', '-H', 'X-Test: 1', '--json', closed]);
    assert.equal(a.code, 0, a.stderr);
    const j = JSON.parse(readFileSync(closed, 'utf8'));
    for (const k of ['requests', 'errors', 'rps', 'latency_ms']) assert.ok(k in j, k);
    for (const k of ['p50', 'p90', 'p95', 'p99', 'max']) assert.equal(typeof j.latency_ms[k], 'number', k);
    assert.ok(j.requests > 100, `requests ${j.requests}`);
    assert.equal(j.errors, 0);
    assert.equal(j.model, 'closed');
    assert.equal(j.status['200'], j.requests);
    assert.match(a.stdout, /Requests\/sec:/);
    assert.match(a.stdout, /Latency distribution/);

    const open = join(dir, 'open.json');
    const b = await run([
      'http',
      srv.url,
      '-c',
      '8',
      '-d',
      '2',
      '-R',
      '300',
      '-m',
      'POST',
      '-b',
      '{"x":1}',
      '--json',
      open,
    ]);
    assert.equal(b.code, 0, b.stderr);
    const o = JSON.parse(readFileSync(open, 'utf8'));
    assert.equal(o.model, 'open');
    assert.equal(o.target_rps, 300);
    assert.ok(Math.abs(o.requests - 600) <= 6, `requests ${o.requests}`);
    assert.equal(o.dropped, 0);
    assert.equal(o.generator.read_naps, 0, 'the open model never coalesces reads');

    // The closed model coalesces reads when asked to (the JSON counts the naps).
    for (const off of [true, false]) {
      const file = join(dir, `coalesce-${off}.json`);
      const r = await run([
        'http',
        srv.url,
        '-c',
        '32',
        '-d',
        '1',
        '--json',
        file,
        ...(off ? [] : ['--read-coalescing']),
      ]);
      assert.equal(r.code, 0, r.stderr);
      const g = JSON.parse(readFileSync(file, 'utf8')).generator;
      if (off) {
        assert.equal(g.read_naps, 0);
        assert.doesNotMatch(r.stdout, /reads coalesced/);
      } else {
        assert.ok(g.read_naps > 0, `naps ${g.read_naps}`);
        // measured: each nap sleeps at least what it asks for, 2.5 µs at the least
        assert.ok(g.read_nap_ms >= (g.read_naps * 2.5) / 1000, `nap ms ${g.read_nap_ms}`);
        assert.match(r.stdout, /reads coalesced/);
        assert.match(r.stdout, /Read coalescing: \d+ naps, [\d.]+ ms asleep/);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.close();
  }
});

test('tickstorm http: bad flags exit 104 naming the flag', async () => {
  const cases: [string[], RegExp][] = [
    [['http', 'http://127.0.0.1:9/', '-c', '0'], /-c\/--connections/],
    [['http', 'http://127.0.0.1:9/', '-R', 'fast'], /-R\/--rate/],
    [['http', 'http://127.0.0.1:9/', '-H', 'nocolon'], /-H\/--header/],
    [['http', 'http://127.0.0.1:9/', '--bogus'], /unknown option '--bogus'/],
    [['http', 'ftp://127.0.0.1:9/'], /http:\/\/ or https:\/\//],
    [['http'], /missing required argument 'url'/],
    [
      ['http', 'http://127.0.0.1:9/', '-R', '10', '--read-coalescing'],
      /--read-coalescing applies to the closed model/,
    ],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  results.forEach((r, i) => {
    assert.equal(r.code, 104, `${cases[i][0].join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][1]);
  });
});

for (const signal of ['SIGINT', 'SIGTERM'] as const)
  test(`tickstorm http: ${signal} ends a long run early with its summary and --json, exit 0`, async () => {
    const srv = await startServer();
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-http-sig-'));
    const json = join(dir, 'sig.json');
    const w = startTickstorm(['http', srv.url, '-c', '1', '-d', '60', '--json', json]);
    try {
      await w.waitFor(/^Running 60s test/m);
      w.child.kill(signal);
      const { code } = await w.exited;
      assert.equal(code, 0, w.stderr());
      assert.match(w.stdout(), /Requests\/sec:/);
      assert.equal(typeof JSON.parse(readFileSync(json, 'utf8')).requests, 'number');
    } finally {
      await w.stop();
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
