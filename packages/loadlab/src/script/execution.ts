/**
 * `tickstorm/execution` (and `k6/execution`): k6's execution facts, as far as the lab has them.
 *
 *   import exec from 'k6/execution';
 *   export default async function () {
 *     const user = users[exec.vu.idInTest - 1];               // one user per VU, unique in the test
 *     if (exec.scenario.progress > 0.5) ...;
 *     if (!ok) exec.test.abort('the login page is down');     // exit 108, the reason printed
 *   }
 *
 *   vu.idInTest             the VU's number in the whole test (1-based; __VU): every generator
 *                           thread, every worker of a `run --master`
 *   vu.idInInstance         the VU's number in this process (1-based)
 *   vu.iterationInInstance  the VU's iterations before this one (0-based; __ITER)
 *   vu.iterationInScenario  the same (a VU here belongs to one scenario)
 *   scenario.name, scenario.executor, scenario.startTime (epoch ms), scenario.progress (0..1:
 *                           time elapsed, or an iteration-based executor's iterations started)
 *   scenario.iterationInTest, scenario.iterationInInstance: the iteration's number in its
 *                           scenario (0-based, unique) in the whole test, in this process
 *   test.abort([reason])    ends the whole run at once (no iteration starts after it, those in
 *                           flight interrupted): exit 108, the reason printed; teardown() and
 *                           the summary still run
 *   test.options            the script's options as resolved (scenarios filled in), frozen
 *
 * k6's other fields (instance.*, vu.tags, vu.metrics, test.fail) are not there. vu.* is 0 in setup() and teardown(); vu.* and scenario.*
 * throw at load time, scenario.* also in setup() and teardown() (as k6's).
 */
import { type IterationStore, runtime } from './runtime.ts';
import { testAborted } from './test-abort.ts';

function store(what: string): IterationStore {
  const s = runtime().als.getStore();
  if (s === undefined) throw new Error(`getting ${what} information in the init context is not supported`);
  return s;
}

function scenario(): NonNullable<IterationStore['exec']> {
  const e = store('scenario').exec;
  if (e === null)
    throw new Error('getting scenario information outside of a scenario (setup, teardown) is not supported');
  return e;
}

const vu = Object.freeze({
  get idInTest(): number {
    return store('VU').vu;
  },
  get idInInstance(): number {
    return store('VU').vuInInstance;
  },
  get iterationInInstance(): number {
    return store('VU').iter;
  },
  get iterationInScenario(): number {
    return store('VU').iter;
  },
});

const fields = {
  get name(): string {
    return scenario().name;
  },
  get executor(): string {
    return scenario().executor;
  },
  get startTime(): number {
    return scenario().startTime();
  },
  get progress(): number {
    return scenario().progress();
  },
  /**
   * k6's: the iteration's number in its scenario over the whole test (0-based, unique: every
   * generator thread and worker), as the executors hand iterations out (a thread's n-th is
   * `n * count + index`): shared-iterations' run 0 .. iterations - 1, an arrival-rate's its
   * place in the schedule unless some were dropped.
   */
  get iterationInTest(): number {
    const s = store('scenario');
    const { index, count } = scenario().stride;
    return s.iterInThread * count + index;
  },
  /** The same within this process (its generator threads). */
  get iterationInInstance(): number {
    const s = store('scenario');
    const { thread, threads } = scenario().stride;
    return s.iterInThread * threads + thread;
  },
};

const scenarioInfo = Object.freeze(fields);

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

let frozen: { from: unknown; copy: unknown } | undefined;

const test = Object.freeze({
  /** Stops the whole run (exit 108) with `reason` printed; the calling iteration ends here. */
  abort(reason?: string): never {
    throw testAborted(reason === undefined ? 'test aborted by the script' : String(reason));
  },
  get options(): unknown {
    const o = runtime().testOptions;
    if (o === undefined) throw new Error('exec.test.options is not available at load time');
    if (frozen?.from !== o) frozen = { from: o, copy: deepFreeze(structuredClone(o)) };
    return frozen.copy;
  },
});

const exec = Object.freeze({ vu, scenario: scenarioInfo, test });

export { scenarioInfo as scenario, test, vu };
export default exec;
