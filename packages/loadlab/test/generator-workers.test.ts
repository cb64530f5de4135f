import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iterations, runScenario } from '@tickstorm/loadlab';
import { startServer } from '@tickstorm/loadlab/testing';

const HTTP_SCRIPT = new URL('../src/modes/http-load-script.ts', import.meta.url).href;

test('two worker threads split the schedule and merge exactly', async () => {
  const srv = await startServer();
  try {
    const slices: number[] = [];
    const { result, exec } = await runScenario({
      executor: {
        executor: 'constant-arrival-rate',
        rate: 1000,
        duration: '2s',
        preAllocatedVUs: 20,
        maxVUs: 200,
      },
      workers: 2,
      script: { module: HTTP_SCRIPT },
      params: { url: srv.url },
      onSlice: (s) => slices.push(s.requests),
    });
    assert.equal(result.generator.workers, 2);
    assert.equal(exec.planned, 2000);
    assert.equal(exec.started + exec.dropped, 2000);
    assert.equal(result.requests, exec.completed);
    // Every started iteration completes (gracefulStop 30 s); one the schedule could not start
    // (no free VU: a stalled thread on a busy machine, 48 once) is dropped, counted and warned
    // about. The merge is the point, so the count is exact, not a share of the 2,000.
    assert.equal(exec.completed, exec.started);
    assert.ok(result.requests > 0);
    assert.equal(result.generator.droppedIterations, exec.dropped);
    if (exec.dropped > 0) assert.match(result.generator.warnings.join('\n'), /iterations dropped/);
    assert.equal(srv.hits(), result.requests);
    assert.equal(result.entries.length, 1);
    assert.equal(result.entries[0].statusCounts['200'], result.requests);
    assert.equal(
      result.timeseries.reduce((a, s) => a + s.requests, 0),
      result.requests,
    );
    assert.deepEqual(
      slices,
      result.timeseries.map((s) => s.requests),
    );
    assert.equal((result.extra.threads as unknown[]).length, 2);
  } finally {
    await srv.close();
  }
});

test('workers > 1 need an importable script', async () => {
  await assert.rejects(
    runScenario({
      executor: { executor: 'constant-vus', vus: 2, duration: '1s' },
      workers: 2,
      script: () => ({ start() {} }),
    }),
    /module reference/,
  );
});

test('closed model: ramping-vus follows the VU curve; async iterations with think time', async () => {
  let peak = 0;
  let running = 0;
  const perVu = new Map<number, number>();
  // The first iterations are held until six run at once, so the peak depends on the executor
  // starting six VUs, not on six 5 ms think-time timers firing in one event-loop turn. If it
  // never starts six, the held ones are abandoned after gracefulStop and the peak is short.
  const held: (() => void)[] = [];
  const { result, exec } = await runScenario({
    executor: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { target: 6, duration: '300ms' },
        { target: 6, duration: '300ms' },
        { target: 2, duration: '200ms' },
      ],
      thinkTime: '5ms',
      gracefulRampDown: '0s',
      gracefulStop: '1s',
    },
    workers: 1,
    script: iterations({
      async iteration(it) {
        running++;
        peak = Math.max(peak, running);
        perVu.set(it.vu, (perVu.get(it.vu) ?? 0) + 1);
        if (peak < 6) await new Promise<void>((r) => held.push(r));
        else for (const release of held.splice(0)) release();
        await new Promise((r) => setImmediate(r));
        running--;
        if (it.n === 3 && it.vu === 0) throw new Error('boom');
      },
    }),
  });
  assert.equal(peak, 6);
  assert.equal(exec.vusUsed, 6);
  assert.equal(perVu.size, 6);
  assert.equal(exec.errors, 1);
  assert.ok(result.generator.warnings.includes('iteration error: boom'));
  assert.equal(exec.completed, exec.started);
  assert.equal(result.requests, 0); // the script emitted no request events
});

test('ramping-arrival-rate runs exactly the integral of the rate curve', async () => {
  let n = 0;
  const { exec } = await runScenario({
    executor: {
      executor: 'ramping-arrival-rate',
      startRate: 0,
      timeUnit: '1s',
      stages: [
        { target: 400, duration: '500ms' },
        { target: 400, duration: '500ms' },
      ],
      preAllocatedVUs: 1,
      maxVUs: 1,
    },
    workers: 1,
    script: (ctx) => ({
      start(vu) {
        n++;
        ctx.done(vu);
      },
    }),
  });
  assert.equal(n, 100 + 200);
  assert.equal(exec.started, 300);
  assert.equal(exec.dropped, 0);
});

test('a run aborted before its script has loaded ends at once, in the thread and in worker threads', {
  timeout: 60_000,
}, async () => {
  const srv = await startServer();
  try {
    for (const workers of [1, 2]) {
      const abort = new AbortController();
      abort.abort(); // as a worker's part told to stop right after go, while it loads
      const t0 = performance.now();
      const { result } = await runScenario({
        executor: { executor: 'constant-vus', vus: 2, duration: '10m' },
        workers,
        script: { module: HTTP_SCRIPT },
        params: { url: srv.url },
        signal: abort.signal,
      });
      const ms = performance.now() - t0;
      assert.ok(ms < 30_000, `workers ${workers}: ran ${Math.round(ms)} ms of a 10 min scenario`);
      assert.equal(result.requests, srv.hits(), `workers ${workers}`);
    }
  } finally {
    await srv.close();
  }
});
