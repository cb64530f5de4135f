/**
 * The built-in scenarios, loaded once for `run` and `start` (their flags are needed to build
 * the commands), and the suite that runs them.
 */
import type { ScenarioSuite } from '@tickstorm/loadlab';
import type { TargetUrls, TickstormScenario } from '@tickstorm/scenarios';
import { runBenchInChild } from './bench.ts';

type Scenarios = typeof import('@tickstorm/scenarios');

/**
 * The scenarios, loaded once (their flags are needed to build the command). A scenario module
 * that fails to load does not take the rest of the CLI down: `run` and `start` report it.
 */
export const SCENARIOS_LOADED: {
  defs: readonly TickstormScenario[];
  createSuite?: Scenarios['createTickstormSuite'];
  error?: string;
} = await import('@tickstorm/scenarios').then(
  (m: Scenarios) => ({ defs: Object.values(m.SCENARIOS), createSuite: m.createTickstormSuite }),
  (e: Error) => ({ defs: [], error: `the scenarios could not be loaded: ${e.message}` }),
);

/** The scenarios as a suite, with `tickstorm bench` (in a child process) as the prelude. */
export function tickstormSuite(defs: readonly TickstormScenario[]): ScenarioSuite<TargetUrls> {
  if (SCENARIOS_LOADED.createSuite === undefined) throw new Error(SCENARIOS_LOADED.error);
  return SCENARIOS_LOADED.createSuite({ scenarios: defs, bench: () => runBenchInChild({}) });
}
