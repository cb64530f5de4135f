/**
 * Tickstorm's scenarios as the lab sees them: ScenarioDefinitions whose targets are the four
 * services' URLs.
 */
import type { ScenarioDefinition, ScenarioRunContext } from '@tickstorm/loadlab';

export type ScenarioId = 'market-data-flood' | 'order-stress' | 'db-throughput' | 'ws-concurrency';

/** In the order a run of `all` takes them. */
export const SCENARIO_IDS: readonly ScenarioId[] = [
  'market-data-flood',
  'order-stress',
  'db-throughput',
  'ws-concurrency',
];

/** Where the system under test listens. */
export interface TargetUrls {
  /** ws://host:5001/stream */
  marketDataWs: string;
  /** http://host:5001 (market-data HTTP: /health, /stats) */
  marketDataHttp: string;
  /** http://host:5002 */
  orders: string;
  /** http://host:5003 */
  risk: string;
  /** http://host:8000 */
  api: string;
  /** ws://host:8000/ws/metrics */
  apiWs: string;
}

export type TickstormScenario = ScenarioDefinition<TargetUrls>;
export type TickstormRunContext = ScenarioRunContext<TargetUrls>;
