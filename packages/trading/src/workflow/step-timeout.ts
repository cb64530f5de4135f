/**
 * Runs one workflow step under a deadline. The step gets an AbortSignal that fires at the
 * deadline; whether or not it honours it, the caller gets an answer at the deadline (the
 * step's late result or rejection is ignored), so a step can delay the chain by at most its
 * timeout and never deadlock it. The timer is cleared as soon as the step settles.
 *
 * A timed-out step may keep running (it is only asked to stop): the outcome's `settled`
 * resolves when it really ends, so the caller can keep counting it as work in flight (the
 * api keeps the request's ABC_MAX_CONCURRENT_REQUESTS slot until then).
 */

export type StepOutcome<T> =
  | { status: 'ok'; value: T; ms: number }
  | { status: 'timeout'; ms: number; settled: Promise<void> }
  | { status: 'error'; error: unknown; ms: number };

export async function runWithTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
): Promise<StepOutcome<T>> {
  const t0 = performance.now();
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const ms = () => Math.round((performance.now() - t0) * 1000) / 1000;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const work = Promise.resolve()
      .then(() => fn(ac.signal))
      .then((value) => ({ value }));
    const r = await Promise.race([work, deadline]);
    if (r === 'timeout') {
      ac.abort(new Error(`step timed out after ${timeoutMs} ms`));
      // Resolves either way: a late rejection must not become an unhandled one.
      const settled = work.then(
        () => undefined,
        () => undefined,
      );
      return { status: 'timeout', ms: ms(), settled };
    }
    return { status: 'ok', value: r.value, ms: ms() };
  } catch (error) {
    return { status: 'error', error, ms: ms() };
  } finally {
    clearTimeout(timer);
  }
}
