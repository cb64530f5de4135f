/** `tickstorm run <scenario...>`: the built-in scenarios' run, from a validated command line to its exit code. */
import {
  EXIT_ABORTED,
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  type ExecutionSegment,
  executeRun,
  type LoadMetricsServer,
  planRun,
  problemsText,
  type RunInput,
  type RunReport,
} from '@tickstorm/loadlab';
import type { TickstormScenario } from '@tickstorm/scenarios';
import { openMetrics } from './metrics-port.ts';
import { packageVersion } from './package-version.ts';
import { withSources } from './run-defaults.ts';
import { SCENARIOS_LOADED, tickstormSuite } from './scenarios-loaded.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Validates, runs, and returns the exit code (Ctrl-C once: stop and report; twice: exit 105 now). */
export async function runCommand(
  defs: readonly TickstormScenario[],
  input: RunInput,
  extra: RunExtra = {},
): Promise<number> {
  if (SCENARIOS_LOADED.error !== undefined) {
    console.error(`tickstorm run: ${SCENARIOS_LOADED.error}`);
    return EXIT_ERROR;
  }
  const planned = planRun(tickstormSuite(defs), input);
  const { plan } = planned;
  const problems = [...(extra.problems ?? []), ...planned.problems];
  if (plan === undefined || problems.length > 0) {
    console.error(problemsText('tickstorm run', withSources(problems)));
    return EXIT_INVALID_CONFIG;
  }
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(EXIT_ABORTED);
    process.stderr.write(
      '\nstopping: finishing the current scenario early and reporting (Ctrl-C again to quit)\n',
    );
    abort.abort();
  };
  // the run's own exporter, closed at its end; one handed in (a worker's) lives on. A port it
  // cannot listen on is a problem naming the flag (exit 1), as for http and swarm
  let own: LoadMetricsServer | undefined;
  if (extra.metrics === undefined && extra.metricsPort !== undefined) {
    const opened = await openMetrics(extra.metricsPort, {}, extra.metricsFlag);
    if ('problem' in opened) {
      console.error(`tickstorm run: ${opened.problem}`);
      return EXIT_ERROR;
    }
    own = opened.server;
  }
  // SIGTERM as Ctrl-C, as k6 takes both: a CI job's timeout or a container's stop still gets
  // the results so far and 105 (a second signal quits at once)
  if (extra.signal === undefined) for (const sig of SIGNALS) process.on(sig, onSignal);
  else if (extra.signal.aborted)
    abort.abort(); // a worker's part stopped before it began
  else extra.signal.addEventListener('abort', () => abort.abort(), { once: true });
  const exporter = extra.metrics ?? own;
  try {
    const r = await executeRun(plan, {
      version: packageVersion(),
      signal: abort.signal,
      onSlice: exporter?.observe,
      onScenarioEnd: exporter?.finished,
      ...(extra.quiet === true ? { progress: { quiet: true } } : {}),
    });
    extra.onReport?.(r.report);
    return r.exitCode;
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
    await own?.close({ note: (line) => process.stderr.write(`${line}\n`) });
  }
}

/** A run under a master (run --worker): its signal instead of Ctrl-C, and its report handed over. */
export interface RunExtra {
  metricsPort?: number;
  /** -q/--quiet: no progress line. */
  quiet?: boolean;
  /** The flag that gave metricsPort, as written (run-flag-checks.ts's metricsFlagOf). */
  metricsFlag?: string;
  /** An exporter that outlives this run (a worker's, for its process): fed, never closed here. */
  metrics?: LoadMetricsServer;
  signal?: AbortSignal;
  /** A script's part of the load (--execution-segment, or a master's worker). */
  segment?: ExecutionSegment;
  onReport?: (report: RunReport | null) => void;
  /** Problems the command line already showed (reported with the run's own, all at once). */
  problems?: readonly string[];
  /** A master's worker: setup() ran on the master (its data), teardown() runs there. */
  lifecycle?: { withSetup: boolean; dataJson?: string };
}
