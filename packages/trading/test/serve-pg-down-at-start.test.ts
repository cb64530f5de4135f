/**
 * `serve --metrics-store postgres://…` started while PostgreSQL is down (nothing listens on its
 * port): it starts anyway, as during an outage. Orders are accepted, /health is degraded,
 * POST /api/metrics is refused 503 with Retry-After, queries answer a coded 503; once a
 * PostgreSQL server is started on that port the rows buffered meanwhile arrive in the table
 * (counted in PostgreSQL itself) and /health recovers. Before, `serve` exited 1 at start. The
 * same for split services on a NATS bus (a risk manager and an engine). A server that answers
 * and refuses (a wrong password) still fails the start, exit 1, with the server's reason. A stop
 * while it never came up is bounded like a stop during an outage.
 * Servers (PostgreSQL, nats-server) are started here and stopped in teardown.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { run, serveSandbox, TICKSTORM, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { freePort, type PgServer, startPgServer, waitFor } from './support/postgres.ts';

interface Answer {
  status: number;
  body: { error?: { code?: string }; status?: string; store?: { status?: string; detail?: string } };
  headers: Headers;
}

async function call(url: string, body?: unknown): Promise<Answer> {
  const r = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text === '' ? {} : JSON.parse(text), headers: r.headers };
}

const ORDER = { symbol: 'AAPL', side: 'buy', type: 'limit', price: 100, quantity: 1, account: 'acct-1' };

/**
 * Rows in trading_metrics (with `pids`: of the system rows of these processes, each of which must
 * have written), and those recorded before the server itself started (buffered while it was
 * down); 0 without the table.
 */
async function tableRows(url: string, pids?: number[]): Promise<{ n: number; early: number }> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {});
  try {
    await c.connect();
    const r = await c.query<{ n: number; early: number; pids: number }>(
      'SELECT count(*)::int AS n, count(*) FILTER (WHERE time < pg_postmaster_start_time())::int AS early, ' +
        "count(DISTINCT labels->>'pid')::int AS pids FROM trading_metrics " +
        (pids === undefined ? '' : "WHERE labels->>'pid' = ANY($1::text[])"),
      pids === undefined ? [] : [pids.map(String)],
    );
    const row = r.rows[0];
    return row.pids < (pids?.length ?? 0) ? { n: 0, early: 0 } : { n: row.n, early: row.early };
  } catch {
    return { n: 0, early: 0 }; // not up yet, or the table not created yet
  } finally {
    await c.end().catch(() => {});
  }
}

/** `tickstorm_database_pending` on a process's /metrics: rows its writer and store hold. */
async function pendingRows(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = /^tickstorm_database_pending(?:\{[^}]*\})? (\d+)/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

describe('serve with PostgreSQL down at start', () => {
  const box = serveSandbox('tickstorm-pg-start-');
  const servers: PgServer[] = [];
  let nats: NatsServer | undefined;
  after(async () => {
    await box.cleanup();
    for (const s of servers) await s.stop();
    await nats?.stop();
  });

  test('all in one: starts, takes orders, refuses metric batches; writes its buffered rows once PostgreSQL is up', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const served = await box.serve(['--data-dir', box.tmp(), '--metrics-store', url, ...ZERO_PORT_FLAGS]);
    const api = served.urls.api;
    const order = await call(`${served.urls['execution-engine']}/orders`, ORDER);
    assert.equal(order.status, 201, JSON.stringify(order.body));

    const health = await call(`${api}/health`);
    assert.equal(health.status, 503);
    assert.equal(health.body.status, 'degraded');
    assert.match(String(health.body.store?.detail), /PostgreSQL unreachable, \d+ rows buffered, retrying/);
    const refused = await call(`${api}/api/metrics`, [{ name: 'while_down', value: 1 }]);
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error?.code, 'TRD_ERR_SERVICE_UNAVAILABLE');
    assert.equal(refused.headers.get('retry-after'), '1');
    for (const path of ['/api/metrics/query?sql=SELECT%201', '/api/metrics/database']) {
      const r = await call(`${api}${path}`);
      assert.equal(r.status, 503, path);
      assert.equal(r.body.error?.code, 'TRD_ERR_SERVICE_UNAVAILABLE', path);
    }

    // the system's own rows, recorded while PostgreSQL is down, held; then they reach the table
    await waitFor(async () => (await pendingRows(api)) > 0, 'rows held while PostgreSQL is down');
    servers.push(await startPgServer({ port, fsync: false }));
    await waitFor(
      async () => (await tableRows(url)).early > 0,
      'rows recorded before PostgreSQL started in the table',
    );
    await waitFor(async () => (await call(`${api}/health`)).status === 200, '/health to recover');
    const accepted = await call(`${api}/api/metrics`, [{ name: 'after_up', value: 1 }]);
    assert.ok(accepted.status < 300, `${accepted.status} ${JSON.stringify(accepted.body)}`);

    served.child.kill('SIGTERM');
    const f = await served.done;
    assert.equal(f.code, 0, f.stderr);
    const warns = f.stderr.match(/metrics store unreachable: rows kept and retried until it is back/g) ?? [];
    assert.equal(warns.length, 1, f.stderr);
    assert.match(f.stderr, /metrics store reachable again: writing resumed/);
  });

  test('split services on NATS (risk manager, engine): both start, orders accepted; both write once it is up', {
    timeout: 120_000,
  }, async () => {
    nats = await startNatsServer();
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const flags = ['--bus', nats.url, '--metrics-store', url, ...ZERO_PORT_FLAGS];
    const risk = await box.serve(['risk-manager', '--data-dir', box.tmp(), ...flags]);
    const engine = await box.serve(['execution-engine', '--data-dir', box.tmp(), ...flags]);
    // the engine checks orders at the risk node: wait until it has found it
    let order: Answer | undefined;
    await waitFor(async () => {
      order = await call(`${engine.urls['execution-engine']}/orders`, ORDER);
      return order.status !== 503;
    }, 'the engine to reach the risk manager');
    assert.equal(order?.status, 201, JSON.stringify(order?.body));

    for (const [name, s] of [
      ['risk-manager', risk],
      ['execution-engine', engine],
    ] as const) {
      await waitFor(async () => (await pendingRows(s.urls[name])) > 0, `${name}: rows held while down`);
    }
    servers.push(await startPgServer({ port, fsync: false }));
    const pids = [risk.child.pid!, engine.child.pid!];
    await waitFor(
      async () => (await tableRows(url, pids)).early > 0,
      'both processes writing, rows buffered while down among them',
    );
    for (const s of [risk, engine]) {
      s.child.kill('SIGTERM');
      const f = await s.done;
      assert.equal(f.code, 0, f.stderr);
      assert.match(f.stderr, /metrics store unreachable: rows kept and retried until it is back/);
      assert.match(f.stderr, /metrics store reachable again: writing resumed/);
    }
  });

  test('a stop while PostgreSQL never came up takes the documented 10 s at most, exit 0, the drop told', {
    timeout: 60_000,
  }, async () => {
    const url = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const served = await box.serve(['--data-dir', box.tmp(), '--metrics-store', url, ...ZERO_PORT_FLAGS]);
    await waitFor(async () => (await pendingRows(served.urls.api)) > 0, 'rows held while PostgreSQL is down');
    const t0 = performance.now();
    served.child.kill('SIGTERM');
    const f = await served.done;
    const ms = performance.now() - t0;
    assert.equal(f.code, 0, f.stderr);
    assert.ok(ms < 16_000, `the stop took ${Math.round(ms)} ms`);
    assert.match(f.stderr, /"droppedRows":[1-9]\d*.*metrics rows dropped in this run/);
    assert.match(f.stdout, /stopped cleanly/);
  });

  test('a wrong password still fails the start: exit 1 with the server reason, the password not shown', {
    timeout: 60_000,
  }, async () => {
    const server = await startPgServer({
      fsync: false,
      hbaFirst: ['host all pw_writer 127.0.0.1/32 scram-sha-256'],
    });
    servers.push(server);
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query("CREATE ROLE pw_writer LOGIN PASSWORD 'right-one'");
    await admin.end();
    const url = `postgres://pw_writer:wrong-one@127.0.0.1:${server.port}/tickstorm`;
    const f = await run(
      process.execPath,
      [TICKSTORM, 'serve', '--data-dir', box.tmp(), '--metrics-store', url, ...ZERO_PORT_FLAGS],
      process.env,
      60_000,
    );
    assert.equal(f.code, 1, `${f.stdout}\n${f.stderr}`);
    assert.match(f.stderr, /TRD_ERR_METRICS_STORE/);
    assert.match(f.stderr, /password authentication failed for user \\?"pw_writer\\?"/);
    assert.match(
      f.stderr,
      /cannot open metrics store \S+ \(--metrics-store, TICKSTORM_METRICS_STORE\): password/,
    );
    assert.doesNotMatch(`${f.stdout}${f.stderr}`, /wrong-one/);
    assert.doesNotMatch(f.stderr, /metrics store unreachable/);
    assert.doesNotMatch(f.stderr, /^\s+at /m, 'no stack trace');
  });

  test('an unknown database, and sslmode=require against a server without TLS: exit 1 naming --metrics-store and the reason, no stack', {
    timeout: 60_000,
  }, async () => {
    const server = await startPgServer({ fsync: false });
    servers.push(server);
    const base = `postgres://postgres@127.0.0.1:${server.port}`;
    for (const [url, reason] of [
      [`${base}/no_such_db`, /database \\?"no_such_db\\?" does not exist/],
      [`${base}/tickstorm?sslmode=require`, /The server does not support SSL connections/],
    ] as const) {
      const f = await run(
        process.execPath,
        [TICKSTORM, 'serve', '--data-dir', box.tmp(), '--metrics-store', url, ...ZERO_PORT_FLAGS],
        process.env,
        60_000,
      );
      assert.equal(f.code, 1, `${f.stdout}\n${f.stderr}`);
      assert.match(f.stderr, /TRD_ERR_METRICS_STORE/);
      assert.match(f.stderr, /\(--metrics-store, TICKSTORM_METRICS_STORE\)/);
      assert.match(f.stderr, reason);
      assert.doesNotMatch(f.stderr, /^\s+at /m, 'no stack trace');
    }
  });
});
