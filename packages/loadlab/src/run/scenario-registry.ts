/**
 * The scenarios `tickstorm run` offers, in the guide's order. Imported dynamically so that a
 * scenario module failing to load is reported by `run` and `start` instead of taking every
 * other CLI command down with it.
 */
import { SCENARIO_IDS, type ScenarioDefinition } from '../scenarios/scenario.ts';

export async function loadScenarios(): Promise<ScenarioDefinition[]> {
  const { SCENARIOS } = await import('../scenarios/index.ts');
  return SCENARIO_IDS.map((id) => SCENARIOS[id]).filter((d) => d !== undefined);
}
