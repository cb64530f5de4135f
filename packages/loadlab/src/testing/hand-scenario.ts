/** A small scenario with hand-picked figures, for tests that check exact output text. */
import type { ScenarioResult } from '../model/result.ts';
import { buildScenario, FIXTURE_T0 } from './fixtures.ts';

export function handScenario(scenario = 'order-stress'): ScenarioResult {
  const base = buildScenario({ scenario, seconds: 3, rate: 10 });
  return {
    ...base,
    durationSec: 10,
    requests: 150,
    failures: 3,
    rps: 15,
    latency_ms: { min: 1.5, mean: 11.5, p50: 10.4, p90: 20, p95: 25.6, p99: 40, max: 55 },
    entries: [
      {
        type: 'POST',
        name: '/orders',
        requests: 100,
        failures: 2,
        rps: 10,
        failuresPerSec: 0.2,
        latency_ms: { min: 1.5, mean: 12.25, p50: 10.4, p90: 20, p95: 25.6, p99: 40, max: 55 },
        avgContentLength: 180,
        statusCounts: { '201': 98, '503': 2 },
      },
      {
        type: 'GET',
        name: '/book/SYM0,depth=5',
        requests: 50,
        failures: 1,
        rps: 5,
        failuresPerSec: 0.1,
        latency_ms: { min: 2, mean: 10, p50: 9.6, p90: 15, p95: 18, p99: 22.5, max: 30 },
        avgContentLength: 420,
        statusCounts: { '200': 49, '503': 1 },
      },
    ],
    timeseries: [
      { t: FIXTURE_T0, requests: 12, failures: 1, p50: 9.5, p95: 20, p99: 30, max: 31, active: 5 },
      { t: FIXTURE_T0 + 1, requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, active: 10 },
      { t: FIXTURE_T0 + 2, requests: 15, failures: 0, p50: 10.5, p95: 24, p99: 54, max: 55, active: 10 },
    ],
    failureRows: [
      { method: 'POST', name: '/orders', error: 'HTTP 503: overloaded, retry later', occurrences: 2 },
      { method: 'GET', name: '/book/SYM0,depth=5', error: 'HTTP 503: "busy"', occurrences: 1 },
    ],
  };
}
