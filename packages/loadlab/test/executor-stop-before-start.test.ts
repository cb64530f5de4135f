/**
 * A run stopped while its threads wait for the start time (Ctrl-C or SIGTERM on a master just
 * after 'go'): the executors end at once when their start comes, without starting an iteration.
 * Before, stop() before run() called a resolver that did not exist yet and the worker crashed
 * with "this.resolveRun is not a function".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeExecutor } from '../src/generator/executor-options.ts';
import { prepareThread } from '../src/generator/run-thread.ts';

for (const executor of [
  { executor: 'constant-vus' as const, vus: 2, duration: '10m' },
  {
    executor: 'constant-arrival-rate' as const,
    rate: 100,
    timeUnit: '1s',
    duration: '10m',
    preAllocatedVUs: 2,
    maxVUs: 4,
  },
]) {
  test(`${executor.executor}: stopped before its start, it ends at once with no iteration`, {
    timeout: 10_000,
  }, async () => {
    let started = 0;
    let closed = 0;
    const thread = await prepareThread(
      () => ({
        start() {
          started++;
        },
        close() {
          closed++;
        },
      }),
      { executor: normalizeExecutor(executor), index: 0, count: 1, params: {} },
    );
    thread.stop();
    const out = await thread.start(Date.now() + 50);
    assert.equal(started, 0);
    assert.equal(out.exec.started, 0);
    assert.equal(out.exec.interrupted, 0);
    assert.equal(closed, 1, 'the script is closed once');
  });
}
