/**
 * `serve --metrics-store postgres://…` stopped (SIGTERM) while PostgreSQL is down: the stop
 * waits the documented 10 s for the rows it holds, not 10 s in the writer and 10 s more in the
 * store (20 s, near systemd's TimeoutStopSec=30), exits 0, and says how many rows it dropped
 * (it said "stopped cleanly" and nothing else). A POST /api/metrics sent while PostgreSQL is
 * down is answered 503 TRD_ERR_SERVICE_UNAVAILABLE (not held in the buffer for the outage), and
 * never holds the stop: the rows the stop drops are the system's own. The
 * server is started here (support/postgres.ts) and stopped in teardown; the child is killed in
 * teardown if still alive.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { serveSandbox, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { type PgServer, startPgServer, waitFor } from './support/postgres.ts';

describe('serve on PostgreSQL: SIGTERM with the server down', () => {
  const box = serveSandbox('tickstorm-stop-pg-');
  let pg: PgServer;
  before(async () => {
    pg = await startPgServer({ fsync: false });
  });
  after(async () => {
    await box.cleanup();
    await pg?.stop();
  });

  test('stops within the 10 s close timeout, exit 0, the dropped rows told', {
    timeout: 120_000,
  }, async () => {
    const served = await box.serve(['--data-dir', box.tmp(), '--metrics-store', pg.url, ...ZERO_PORT_FLAGS]);
    await pg.kill();
    // a batch sent now: refused (503) once its COPY fails, not held for the outage
    let stopping = false;
    const post = fetch(`${served.urls.api}/api/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ name: 'at_stop', value: i }))),
    }).then(
      async (r) => ({
        answer: `${r.status} ${((await r.json()) as { error?: { code?: string } }).error?.code}`,
        afterStop: stopping,
      }),
      (err: Error) => ({ answer: err.message, afterStop: stopping }),
    );
    const p = await post;
    assert.deepEqual(p, { answer: '503 TRD_ERR_SERVICE_UNAVAILABLE', afterStop: false });
    // rows the stop cannot write: the system's own (its writer flushes every second), held in
    // the store's buffer; the api's /health says how many
    await waitFor(async () => {
      const h = (await (await fetch(`${served.urls.api}/health`)).json()) as { store?: { detail?: string } };
      const m = /PostgreSQL unreachable, (\d+) rows buffered/.exec(h.store?.detail ?? '');
      return m !== null && Number(m[1]) > 0;
    }, "the system's own rows buffered while PostgreSQL is down");
    const t0 = performance.now();
    stopping = true;
    served.child.kill('SIGTERM');
    const f = await served.done;
    const ms = performance.now() - t0;
    assert.equal(f.code, 0, f.stderr);
    assert.ok(ms < 16_000, `the stop took ${Math.round(ms)} ms`);
    assert.match(f.stderr, /"droppedRows":\d+.*metrics rows dropped in this run/);
    assert.match(f.stdout, /stopped cleanly/);
  });
});
