/**
 * Processes on a NATS bus, each writing to one PostgreSQL metrics store (deploy/k8s's layout),
 * scraped by a real Prometheus, one job per process: `tickstorm_database_rows` is the shared
 * table's row count, which every process on the store reports, so the dashboard's Rows panel
 * must not add them up. Before, it summed them: three times the table with three processes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { REPO_ROOT, serveSandbox, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { type PgServer, startPgServer } from './support/postgres.ts';
import {
  havePrometheus,
  PROMETHEUS,
  type PrometheusServer,
  poll,
  startPrometheus,
} from './support/prometheus-server.ts';

const SERVICES = ['market-data', 'execution-engine', 'api'] as const;

/** The dashboard's expression of the rows in trading_metrics. */
function rowsExpression(): string {
  const dash = JSON.parse(
    readFileSync(`${REPO_ROOT}monitoring/grafana/dashboards/tickstorm.json`, 'utf8'),
  ) as { panels: { targets?: { expr?: string }[] }[] };
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
  const rows = exprs.filter((e) => e.includes('tickstorm_database_rows'));
  assert.equal(rows.length, 1, `one expression of the rows: ${rows.join(' | ')}`);
  return rows[0];
}

describe('the dashboard counts the rows of one PostgreSQL store once, whatever the processes', {
  skip: havePrometheus ? false : `${PROMETHEUS} is not installed (.ci/run installs it)`,
}, () => {
  const box = serveSandbox('tickstorm-prom-pg-');
  let nats: NatsServer | undefined;
  let pgServer: PgServer | undefined;
  let prom: PrometheusServer | undefined;
  const urls: Record<string, string> = {};

  before(async () => {
    [nats, pgServer] = await Promise.all([startNatsServer(), startPgServer({ fsync: false })]);
    for (const service of SERVICES) {
      const s = await box.serve([
        service,
        '--bus',
        nats.url,
        '--metrics-store',
        pgServer.url,
        '--data-dir',
        box.tmp(),
        ...ZERO_PORT_FLAGS,
      ]);
      urls[service] = s.urls[service];
    }
    prom = await startPrometheus(
      Object.fromEntries(SERVICES.map((s) => [`tickstorm-${s}`, new URL(urls[s]).host])),
    );
  });

  after(async () => {
    await prom?.stop();
    await box.cleanup();
    await Promise.all([nats?.stop(), pgServer?.stop()]);
  });

  test('every process reports the table; the Rows panel shows it once', async () => {
    const expr = rowsExpression();
    // every process has written rows (its own metrics, each second), and every job is scraped
    const per = await poll('every process reporting rows', 30_000, async () => {
      const r = await prom!.query('tickstorm_database_rows');
      return r.length === SERVICES.length && r.every((s) => Number(s.value[1]) > 0) ? r : undefined;
    });
    assert.deepEqual(per.map((s) => s.metric.job).sort(), SERVICES.map((s) => `tickstorm-${s}`).sort());
    const [shown] = await prom!.query(expr);
    // after the query: the table holds at least what any process counted before it. Counted
    // in PostgreSQL itself: the api's /api/metrics/database is its own last count plus its own
    // commits since, which may lag another process's (133 shown against the api's 121 once)
    const client = new pg.Client({ connectionString: pgServer!.url });
    await client.connect();
    const table = (await client.query('SELECT count(*)::int AS n FROM trading_metrics')).rows[0] as {
      n: number;
    };
    await client.end();
    const value = Number(shown.value[1]);
    assert.ok(value > 0 && value <= table.n, `${expr} = ${value}; the table holds ${table.n} rows`);
  });
});
