/**
 * Execution segments: k6's text forms, shares that add up exactly, and runs of every part of
 * an executor adding up to the whole run (iterations, VUs), with and without threads.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ExecutionSegment,
  type ExecutorOptions,
  parseExecutionSegment,
  runScenario,
  segmentLabel,
  segmentShare,
} from '@tickstorm/loadlab';
import { startServer } from '@tickstorm/loadlab/testing';

test("k6's segment text: from:to of N equal parts, '1/2' for 0:1/2, decimals and percentages", () => {
  assert.deepEqual(parseExecutionSegment('0:1/2').segment, { index: 0, count: 2 });
  assert.deepEqual(parseExecutionSegment('1/2:1').segment, { index: 1, count: 2 });
  assert.deepEqual(parseExecutionSegment('1/3:2/3').segment, { index: 1, count: 3 });
  assert.deepEqual(parseExecutionSegment('1/4').segment, { index: 0, count: 4 });
  assert.deepEqual(parseExecutionSegment('0.5:1').segment, { index: 1, count: 2 });
  assert.deepEqual(parseExecutionSegment('25%:50%').segment, { index: 1, count: 4 });
  assert.deepEqual(parseExecutionSegment('0:1').segment, { index: 0, count: 1 });
  for (const bad of ['1/3:1', '0:2/5', '2/3:1/3', 'x', '0:1:2', '1/0', '0:3/2']) {
    assert.match(
      parseExecutionSegment(bad).problem ?? '',
      /--execution-segment must be one of N equal parts/,
      bad,
    );
  }
  assert.equal(segmentLabel({ index: 0, count: 3 }), '0:1/3');
  assert.equal(segmentLabel({ index: 2, count: 3 }), '2/3:1');
});

test('shares add up exactly (largest first): 7 over 3 is 3, 2, 2; 2 over 3 is 1, 1, 0', () => {
  const parts = (total: number, count: number) =>
    Array.from({ length: count }, (_, index) => segmentShare(total, { index, count }));
  assert.deepEqual(parts(7, 3), [3, 2, 2]);
  assert.deepEqual(parts(2, 3), [1, 1, 0]);
  for (const total of [0, 1, 5, 64, 1000, 1001])
    for (const count of [1, 2, 3, 7])
      assert.equal(
        parts(total, count).reduce((a, b) => a + b, 0),
        total,
      );
});

/** Runs one part in this thread with a script whose iterations end at once; counts per VU. */
async function runPart(executor: ExecutorOptions, segment: ExecutionSegment) {
  const perVu = new Map<number, number>();
  const out = await runScenario({
    executor,
    workers: 1,
    segment,
    script: (ctx) => ({
      start(vu: number) {
        perVu.set(vu, (perVu.get(vu) ?? 0) + 1);
        setImmediate(() => ctx.done(vu));
      },
    }),
  });
  return { started: out.exec.started, vus: out.exec.vusUsed, planned: out.exec.planned, perVu };
}

test('the parts of a run add up to the whole: iterations, VUs, arrival-rate iterations', async () => {
  const seg = (index: number) => ({ index, count: 3 });
  const perVu = { executor: 'per-vu-iterations', vus: 7, iterations: 3 } as const;
  const a = await Promise.all([0, 1, 2].map((i) => runPart(perVu, seg(i))));
  assert.deepEqual(
    a.map((p) => p.vus),
    [3, 2, 2],
  );
  assert.deepEqual(
    a.map((p) => p.started),
    [9, 6, 6],
  );
  const shared = { executor: 'shared-iterations', vus: 5, iterations: 40, maxDuration: '30s' } as const;
  const b = await Promise.all([0, 1, 2].map((i) => runPart(shared, seg(i))));
  assert.deepEqual(
    b.map((p) => p.started),
    [14, 13, 13],
  );
  assert.equal(
    b.reduce((n, p) => n + p.vus, 0),
    5,
  );
  const rate = {
    executor: 'constant-arrival-rate',
    rate: 50,
    timeUnit: '1s',
    duration: '1s',
    preAllocatedVUs: 4,
    maxVUs: 4,
  } as const;
  const c = await Promise.all([0, 1, 2].map((i) => runPart(rate, seg(i))));
  assert.deepEqual(
    c.map((p) => p.planned),
    [17, 17, 16],
  );
  assert.equal(
    c.reduce((n, p) => n + p.started, 0),
    50,
  );
});

test('threads inside a part split it again, and still add up (part 1 of 2 on 2 threads)', async () => {
  const srv = await startServer();
  try {
    const { exec, result } = await runScenario({
      executor: { executor: 'shared-iterations', vus: 5, iterations: 33, maxDuration: '30s' },
      workers: 2,
      segment: { index: 1, count: 2 },
      script: { module: new URL('../src/modes/http-load-script.ts', import.meta.url).href },
      params: { url: srv.url },
    });
    assert.equal(result.generator.workers, 2);
    assert.equal(exec.started, 16);
    assert.equal(exec.vusUsed, 2);
    assert.equal(srv.hits(), 16);
    assert.equal(result.params.executionSegment, '1/2:1');
  } finally {
    await srv.close();
  }
});
