import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runScenario, validateExecutor } from '@tickstorm/loadlab';

/** A script whose iterations end on the next tick, counting iterations per VU. */
function counting(perVu: Map<number, number>) {
  return () => ({
    start(vu: number) {
      perVu.set(vu, (perVu.get(vu) ?? 0) + 1);
      setImmediate(() => ctxDone(vu));
    },
  });
}
let ctxDone: (vu: number) => void = () => {};

test('shared-iterations: exactly `iterations` in all, shared by the VUs, ending early', async () => {
  const perVu = new Map<number, number>();
  const { exec, result } = await runScenario({
    executor: { executor: 'shared-iterations', vus: 4, iterations: 50, maxDuration: '30s' },
    workers: 1,
    script: (ctx) => {
      ctxDone = ctx.done;
      return counting(perVu)();
    },
  });
  assert.equal(exec.started, 50);
  assert.equal(exec.completed, 50);
  assert.equal(
    [...perVu.values()].reduce((a, b) => a + b, 0),
    50,
  );
  assert.ok(perVu.size <= 4);
  assert.ok(result.durationSec < 10, `ended early (${result.durationSec}s)`);
});

test('per-vu-iterations: each VU runs `iterations`', async () => {
  const perVu = new Map<number, number>();
  const { exec } = await runScenario({
    executor: { executor: 'per-vu-iterations', vus: 3, iterations: 7 },
    workers: 1,
    script: (ctx) => {
      ctxDone = ctx.done;
      return counting(perVu)();
    },
  });
  assert.equal(exec.completed, 21);
  assert.deepEqual([...perVu.entries()].sort(), [
    [0, 7],
    [1, 7],
    [2, 7],
  ]);
});

test('iteration executors validate k6 style', () => {
  assert.deepEqual(validateExecutor({ executor: 'shared-iterations', vus: 5, iterations: 2 }), [
    'shared-iterations: iterations (2) must be >= vus (5)',
  ]);
  const p = validateExecutor({ executor: 'per-vu-iterations', vus: 0, iterations: 1.5, maxDuration: 'x' });
  assert.equal(p.length, 3);
});
