import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildRunReport, orderStress, wsConcurrency } from '@tickstorm/loadlab/testing';
import { toJsonReport, writeJsonReport } from '../src/report/json.ts';
import { createProgress, formatProgressLine } from '../src/report/progress.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadlab-json-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('JSON report', () => {
  it('single scenario: the flat fields at the top level, the scenario in scenarios[]', () => {
    const report = buildRunReport([orderStress()]);
    const file = join(dir, 'one.json');
    writeJsonReport(file, report);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const s = report.scenarios[0];
    assert.equal(doc.scenario, 'order-stress');
    assert.equal(doc.requests, s.requests);
    assert.equal(doc.failures, s.failures);
    assert.equal(doc.rps, s.rps);
    assert.deepEqual(Object.keys(doc.latency_ms).sort(), ['max', 'mean', 'min', 'p50', 'p90', 'p95', 'p99']);
    assert.equal(doc.latency_ms.p95, s.latency_ms.p95);
    assert.deepEqual(doc.targets[0], { ...s.targets[0], scenario: 'order-stress' });
    for (const k of ['name', 'target', 'actual', 'pass']) assert.ok(k in doc.targets[0], k);
    assert.equal(doc.scenarios.length, 1);
    assert.equal(doc.duration_sec, 10);
    assert.equal(doc.passed, true);
  });

  it('several scenarios: totals, worst latency per percentile, every target naming its scenario', () => {
    const a = orderStress();
    const b = wsConcurrency();
    const doc = toJsonReport(buildRunReport([a, b]));
    assert.equal(doc.scenario, 'all');
    assert.equal(doc.requests, a.requests + b.requests);
    assert.equal(doc.latency_ms.p95, Math.max(a.latency_ms.p95, b.latency_ms.p95));
    assert.equal(doc.latency_basis, 'worst-scenario');
    assert.deepEqual(
      doc.targets.map((t) => t.scenario),
      ['order-stress', 'ws-concurrency'],
    );
    assert.equal(doc.duration_sec, 10);
  });
});

describe('progress line', () => {
  const totals = {
    scenario: 'order-stress',
    elapsedSec: 12,
    durationSec: 30,
    requests: 12034,
    failures: 5,
    currentRps: 1002.4,
    p95Ms: 3.214,
    p99Ms: 0.42,
    active: 50,
  };

  it('formats the totals', () => {
    assert.equal(
      formatProgressLine(totals),
      '[order-stress] 00:12/00:30  12,034 req  5 fail (0.04%)  1,002 req/s  p95 3.21ms  p99 420µs  50 active',
    );
  });

  it('on a terminal rewrites one line; elsewhere prints a plain line every N seconds', () => {
    const out: string[] = [];
    const sink = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
    const tty = createProgress({ stream: sink, tty: true });
    tty.tick(totals);
    tty.tick({ ...totals, elapsedSec: 13 });
    tty.finish();
    assert.equal(out.length, 3);
    assert.ok(out[0].startsWith('\r[order-stress] 00:12/00:30') && out[0].endsWith('\x1b[K'));
    assert.equal(out[2], '\n');
    out.length = 0;
    const plain = createProgress({ stream: sink, tty: false, everySec: 5 });
    for (let s = 1; s <= 12; s++) plain.tick({ ...totals, elapsedSec: s });
    plain.finish();
    assert.deepEqual(
      out.map((l) => l.slice(15, 20)),
      ['00:01', '00:06', '00:11'],
    );
    assert.ok(out.every((l) => l.endsWith('\n') && !l.includes('\r')));
  });
});
