/**
 * Scenario 3's "library API" script: a Python `benchmark_inserts` loop, in-process. It opens
 * the library's `DatabaseManager` (':memory:' by default, or a file), builds each batch of
 * `MetricRecord`s like that loop does (`metric_{i % 100}`, value i, labels {batch}) and
 * times `insertMetrics`. This is the one place the lab imports the trading package: this
 * mode benchmarks the library itself, in this process, not the system over the wire (the
 * HTTP mode does that). Batches are due at the scenario's rate (open model) and latency
 * counts from the intended time, so a slow insert delays nothing silently; with the store
 * idle it equals the loop's own insert timing plus building the batch (~0.1 ms per 1,000).
 * One thread only: the DuckDB instance lives in this thread.
 */
import { newRequestEvent, nowUs, type ScriptContext, type VuScript } from '@tickstorm/loadlab';
import { DatabaseManager, MetricRecord } from '@tickstorm/trading/metrics-store';

export interface DbLibraryScriptParams {
  /** ':memory:' or a DuckDB file. */
  dbPath: string;
  batchSize: number;
}

export default async function dbLibraryScript(ctx: ScriptContext<DbLibraryScriptParams>): Promise<VuScript> {
  const p = ctx.params;
  const db = await DatabaseManager.create(p.dbPath);
  await db.initialize();
  const ev = newRequestEvent('DB', 'insertMetrics');
  let batch = 0;
  let rowsWritten = 0;
  const before = await db.count();
  let rowsAdded = 0;
  const finish = (vu: number, intendedUs: number, error: string | null) => {
    const t = nowUs();
    ev.latencyUs = t - intendedUs;
    ev.timeUs = t;
    ev.ok = error === null;
    ev.error = error;
    ctx.events.emit(ev);
    ctx.done(vu);
  };
  return {
    start(vu, intendedUs) {
      const labels = { batch: String(batch++) };
      const metrics = [];
      for (let i = 0; i < p.batchSize; i++) metrics.push(MetricRecord.create(`metric_${i % 100}`, i, labels));
      db.insertMetrics(metrics).then(
        (n) => {
          rowsWritten += n;
          finish(vu, intendedUs, null);
        },
        (e: unknown) => finish(vu, intendedUs, e instanceof Error ? e.message : String(e)),
      );
    },
    async close() {
      rowsAdded = (await db.count()) - before;
      await db.close();
    },
    counters: () => ({ rowsWritten, rowsAdded }),
  };
}
