/**
 * The user classes of bench/swarm-vs-locust.bench.ts (twins in bench/locust/locustfile.py):
 * closed loop (constant(0), as fast as each user can), two GETs weighted 1:1.
 *   BenchUser        bars (50 one-second bars of SYM0) + /api/metrics/system
 *   HealthBenchUser  bars + /health (the agent workload's health checks; /health is the heavier of
 *                    the two on the target: every stats section, a store probe reused for 250 ms)
 */
import { constant, HttpUser, tasks } from '@tickstorm/loadlab/swarm';

const BARS = '/api/data/SYM0/bars?interval=1s&limit=50';

export class BenchUser extends HttpUser {
  static tasks = tasks<BenchUser>({ bars: 1, system: 1 });
  waitTime = constant(0);

  async bars(): Promise<void> {
    await this.client.get(BARS, { name: 'data_collection', type: 'DATA' });
  }

  async system(): Promise<void> {
    await this.client.get('/api/metrics/system', { name: 'system_metrics', type: 'METRICS' });
  }
}

export class HealthBenchUser extends HttpUser {
  static tasks = tasks<HealthBenchUser>({ bars: 1, health: 1 });
  waitTime = constant(0);

  async bars(): Promise<void> {
    await this.client.get(BARS, { name: 'data_collection', type: 'DATA' });
  }

  async health(): Promise<void> {
    await this.client.get('/health', { name: 'health_check', type: 'HEALTH' });
  }
}
