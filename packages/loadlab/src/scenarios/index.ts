/**
 * The guide's four scenarios (seed 000, "Test Scenarios"), each a ScenarioDefinition for
 * `tickstorm run`: its params (every one a CLI flag; short durations by default, the seed's
 * with --full), `validate` (every problem, each naming its flag) and `run` against the
 * target's URLs, returning a ScenarioResult with its targets checked.
 */
import { dbThroughput } from './db-throughput.ts';
import { marketDataFlood } from './market-data-flood.ts';
import { orderStress } from './order-stress.ts';
import type { ScenarioDefinition, ScenarioId } from './scenario.ts';
import { wsConcurrency } from './ws-concurrency.ts';

export const SCENARIOS: Record<ScenarioId, ScenarioDefinition> = {
  'market-data-flood': marketDataFlood,
  'order-stress': orderStress,
  'db-throughput': dbThroughput,
  'ws-concurrency': wsConcurrency,
};

export * from './scenario.ts';
export { dbThroughput, marketDataFlood, orderStress, wsConcurrency };
