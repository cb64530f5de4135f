/**
 * One process per service on a real NATS bus (`tickstorm serve <service> --bus ...`, as a
 * user runs them), each port scraped by a real Prometheus as its own job, as
 * docs/monitoring.md says to (the latency histograms are per process). After a short
 * market-data flood and order stress from the real load generator, `sum()` over every job
 * counts each tick and order once: a counter is exported by the process that counts it, and
 * the api's /metrics (which shows the whole system in its JSON) adds only its own sections
 * and `tickstorm_instance_up`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { run, runTargetFlags, serveSandbox, TICKSTORM, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import {
  havePrometheus,
  PROMETHEUS,
  type PrometheusServer,
  poll,
  startPrometheus,
} from './support/prometheus-server.ts';

const SERVICES = ['market-data', 'execution-engine', 'risk-manager', 'api'] as const;

describe('Prometheus over one process per service on a bus counts each tick and order once', {
  skip: havePrometheus ? false : `${PROMETHEUS} is not installed (.ci/run installs it)`,
}, () => {
  const box = serveSandbox('tickstorm-prom-bus-');
  let nats: NatsServer | undefined;
  let prom: PrometheusServer | undefined;
  const urls: Record<string, string> = {};

  before(async () => {
    nats = await startNatsServer();
    for (const service of SERVICES) {
      const s = await box.serve([service, '--bus', nats.url, '--data-dir', box.tmp(), ...ZERO_PORT_FLAGS]);
      urls[service] = s.urls[service];
    }
    await poll('every service up on the api', 30_000, async () => {
      const h = (await (await fetch(`${urls.api}/health`)).json()) as { status: string };
      return h.status === 'ok' ? true : undefined;
    });
    const load = await run(process.execPath, [
      TICKSTORM,
      'run',
      'market-data-flood',
      'order-stress',
      '--duration',
      '2s',
      '--rate',
      '200',
      ...runTargetFlags(urls),
    ]);
    assert.ok(
      load.code === 0 || load.code === 99,
      `run exited ${load.code}:\n${load.stdout}\n${load.stderr}`,
    );
    prom = await startPrometheus(
      Object.fromEntries(SERVICES.map((s) => [`tickstorm-${s}`, new URL(urls[s]).host])),
    );
  });

  after(async () => {
    await prom?.stop();
    await box.cleanup();
    await nats?.stop();
  });

  test('sum over every job equals what the counting process counted; the api adds its instances', async () => {
    const own = async (service: string, name: string) => {
      const text = await (await fetch(`${urls[service]}/metrics`)).text();
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      assert.ok(m !== null, `${service}: ${name}`);
      return Number(m[1]);
    };
    const ticks = await own('market-data', 'tickstorm_market_data_ticks_received_total');
    const orders = await own('execution-engine', 'tickstorm_orders_received_total');
    assert.ok(ticks > 0 && orders > 0, `ticks ${ticks}, orders ${orders}`);

    const since = Date.now();
    await poll('every target scraped after the load', 30_000, async () => {
      const t = await prom!.targets();
      const done =
        t.length === SERVICES.length && t.every((x) => x.health === 'up' && Date.parse(x.lastScrape) > since);
      return done ? true : undefined;
    });
    const byJob = async (name: string) =>
      Object.fromEntries(
        (await prom!.query(`sum by (job) (${name})`)).map((s) => [s.metric.job, Number(s.value[1])]),
      );
    assert.deepEqual(await byJob('tickstorm_market_data_ticks_received_total'), {
      'tickstorm-market-data': ticks,
    });
    assert.deepEqual(await byJob('tickstorm_orders_received_total'), {
      'tickstorm-execution-engine': orders,
    });
    const [sum] = await prom!.query('sum(tickstorm_orders_received_total)');
    assert.equal(Number(sum.value[1]), orders);

    const up = await prom!.query('sum by (service) (tickstorm_instance_up)');
    assert.deepEqual(Object.fromEntries(up.map((s) => [s.metric.service, Number(s.value[1])])), {
      'market-data': 1,
      'execution-engine': 1,
      'risk-manager': 1,
      api: 1,
    });
  });
});
