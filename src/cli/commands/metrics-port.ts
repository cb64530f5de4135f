/**
 * `--metrics-port PORT` of `run`, `run --worker`, `http` and `swarm`: the generator's own
 * figures for Prometheus at http://127.0.0.1:PORT/metrics (0 = a free port), announced on
 * stderr as `generator metrics: URL`. The flag's checks are run-flag-checks.ts's
 * (metricsPortOf, takePrometheusOut); this file opens the exporter for a command.
 */
import { type LoadMetricsOptions, type LoadMetricsServer, startLoadMetricsServer } from '@tickstorm/loadlab';

/** The flag's help line (the same for every command that has it). */
export const METRICS_PORT_HELP =
  "serve the generator's own figures at http://127.0.0.1:PORT/metrics (Prometheus) while it runs; 0 = a free port; env TICKSTORM_METRICS_HOST: the address instead (0.0.0.0: every interface)";

/**
 * Starts the exporter and prints its URL on stderr; a port that cannot be listened on is a
 * problem naming the flag (the caller exits 1 with it).
 */
export async function openMetrics(
  port: number,
  opts: Omit<LoadMetricsOptions, 'port'> = {},
  flag = `--metrics-port ${port}`,
): Promise<{ server: LoadMetricsServer } | { problem: string }> {
  try {
    const server = await startLoadMetricsServer({ ...opts, port });
    process.stderr.write(`generator metrics: ${server.url}\n`);
    return { server };
  } catch (e) {
    return { problem: `${flag}: cannot serve there (${(e as Error).message})` };
  }
}

/** Closes the exporter after its final scrape (see prometheus-exporter.ts), saying so on stderr. */
export function closeMetrics(server: LoadMetricsServer | undefined): Promise<void> {
  return server?.close({ note: (line) => process.stderr.write(`${line}\n`) }) ?? Promise.resolve();
}
