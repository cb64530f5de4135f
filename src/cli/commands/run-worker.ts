/**
 * `tickstorm run --worker`: runs its part of the master's test when the master says go. The
 * worker's own command line is checked first (scenario parameters and target flags are the
 * master's); the test it is sent is checked and run with the run command's own functions.
 *
 * With --metrics-port (or --out prometheus[=PORT]) the worker serves its own part's figures
 * for Prometheus for the life of the process: one exporter, opened before it connects and
 * closed as it exits (after the final scrape), that the runs of the process feed (the test's
 * scenarios; any later run would add to it). Its counters and histograms count every request
 * of the process (monotonic, as Prometheus expects of a counter; a run's end is no reset);
 * the report goes to the master at once, never waiting for a scrape.
 */
import {
  checkScriptFile,
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  type LoadMetricsServer,
  type MasterWorkerPlan,
  planRun,
  problemsText,
  runAsWorker,
} from '@tickstorm/loadlab';
import { closeMetrics, openMetrics } from './metrics-port.ts';
import { packageVersion } from './package-version.ts';
import { runCommand } from './run-command.ts';
import { withSources } from './run-defaults.ts';
import { MASTER_TEST_FLAGS, runWorkerSide } from './run-distributed.ts';
import { metricsFlagOf, metricsPortOf, tlsFileFlags } from './run-flag-checks.ts';
import type { ParamOptions } from './run-flags.ts';
import { type RunLine, runInput } from './run-input.ts';
import { runScriptCommand, scriptFlagProblems } from './run-script-command.ts';
import { SCENARIOS_LOADED, tickstormSuite } from './scenarios-loaded.ts';

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** The exit code; `early` are the command line's problems found so far (reported with the rest). */
export async function runWorker(
  line: RunLine,
  paramOptions: ParamOptions,
  mw: MasterWorkerPlan,
  early: readonly string[],
): Promise<number> {
  const { defs, ids, scenarios, o, self, params, unknownOptions } = line;
  const cliGiven = (attr: string) => self.getOptionValueSource(attr) === 'cli';
  const version = packageVersion();
  const flagProblems: string[] = [];
  const metricsPort = metricsPortOf(o, flagProblems);
  let metrics: LoadMetricsServer | undefined;
  const side = runWorkerSide({
    ids,
    operands: scenarios,
    local: runInput(scenarios, o, self, params, unknownOptions),
    testFlags: [
      ...paramOptions.filter(([, opt]) => cliGiven(opt.attributeName())).map(([flag]) => flag),
      ...MASTER_TEST_FLAGS.filter((f) => cliGiven(camel(f))),
    ],
    planProblems: (input) =>
      SCENARIOS_LOADED.error !== undefined
        ? [SCENARIOS_LOADED.error]
        : planRun(tickstormSuite(defs), input).problems,
    checkScript: async (file, insecure, err, execution) => {
      const flags = scriptFlagProblems([file], o, self, new Map(), []);
      if (flags.problems.length > 0) {
        err(flags.problems.join('\n'));
        return EXIT_INVALID_CONFIG;
      }
      return checkScriptFile({
        file,
        workers: flags.workers,
        thresholds: (o.threshold as string[] | undefined) ?? [],
        tls: { insecure, ...tlsFileFlags(o) },
        outputs: (o.out as string[] | undefined) ?? [],
        env: (o.env as string[] | undefined) ?? [],
        tags: (o.tag as string[] | undefined) ?? [],
        version,
        out: () => undefined,
        err,
        execution,
      });
    },
    runScenarios: (input, seg, extra) => runCommand(defs, { ...input, segment: seg }, { ...extra, metrics }),
    runScript: (file, insecure, seg, extra, lifecycle, execution) =>
      runScriptCommand([file], { ...o, insecure }, self, new Map(), [], {
        ...extra,
        metrics,
        segment: seg,
        lifecycle,
        execution: { shortcuts: execution },
      }),
  });
  const problems = [
    ...early,
    ...flagProblems,
    ...unknownOptions.map((u) => `unknown option '${u}'`),
    ...side.problems,
  ];
  if (problems.length > 0) {
    console.error(problemsText('tickstorm run --worker', withSources(problems)));
    return EXIT_INVALID_CONFIG;
  }
  if (metricsPort !== undefined) {
    const opened = await openMetrics(metricsPort, {}, metricsFlagOf(o, metricsPort));
    if ('problem' in opened) {
      console.error(`tickstorm run --worker: ${opened.problem}`);
      return EXIT_ERROR;
    }
    metrics = opened.server;
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runAsWorker({
      plan: mw,
      version,
      signal: abort.signal,
      prepare: side.prepare,
      run: side.run,
    });
  } finally {
    side.cleanup();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // the process's exporter: its last scrape now (the master has had the report)
    await closeMetrics(metrics);
  }
}
