/**
 * An execution engine's and a risk manager's own /health and their role lease
 * (cluster/role-lease.ts): while it has lapsed the service acts for its role in nothing, so
 * /health is 503 "degraded" even with its bus up (the lease shown as it is); held, or none held
 * since the nats-server came back without JetStream, it is 200 "ok". The services alone, each
 * given the lease's state as TradingSystem gives it; the lease itself, lapsing on a real
 * nats-server, is cluster-role-lease.test.ts's.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { LeaseHealth } from '../src/bus/bus-health.ts';
import type { ServiceHandle } from '../src/http/http-app.ts';
import { startExecutionEngineService } from '../src/orders/execution-engine-service.ts';
import { startRiskManagerService } from '../src/risk/risk-manager-service.ts';
import { Http } from './support/trading-fixture.ts';

describe('/health and the role lease', () => {
  const http = new Http();
  const handles: ServiceHandle[] = [];
  after(async () => {
    await http.close();
    for (const h of handles) await h.close();
  });

  let lease: LeaseHealth = { state: 'held' };
  const services = async () => {
    const engine = await startExecutionEngineService({
      instruments: undefined as never,
      gateway: { pending: 0 } as never,
      counters: undefined as never,
      liveOrders: () => 0,
      bookOf: () => undefined as never,
      host: '127.0.0.1',
      port: 0,
      lease: () => lease,
    });
    const risk = await startRiskManagerService({
      risk: { accounts: new Map() } as never,
      gateway: undefined as never,
      host: '127.0.0.1',
      port: 0,
      lease: () => lease,
    });
    handles.push(engine, risk);
    return [engine.url, risk.url];
  };

  test('lapsed: 503 degraded with why; held or unleased: 200 ok', async () => {
    const urls = await services();
    const cases: [LeaseHealth, number, string][] = [
      [{ state: 'held' }, 200, 'ok'],
      [{ state: 'lapsed', problem: 'its lease was last renewed 2600 ms ago' }, 503, 'degraded'],
      [{ state: 'unleased', problem: "the bus's nats-server runs without JetStream" }, 200, 'ok'],
    ];
    for (const [state, status, word] of cases) {
      lease = state;
      for (const url of urls) {
        const h = await http.get(`${url}/health`);
        assert.equal(h.status, status, `${url} ${state.state}`);
        assert.equal(h.body.status, word, `${url} ${state.state}`);
        assert.deepEqual(h.body.lease, state);
      }
    }
  });
});
