/** `tickstorm run FILE.ts`: a k6-style script's run, from its command line to its exit code. */
import { EXIT_ABORTED, type ExecutionShortcuts, runScriptFile } from '@tickstorm/loadlab';
import type { Command } from 'commander';
import { packageVersion } from './package-version.ts';
import type { RunExtra } from './run-command.ts';
import { withSources } from './run-defaults.ts';
import { scriptExecutionOf, tlsFileFlags } from './run-flag-checks.ts';
import { K6_CONFIG_FILE, unknownRunOption } from './run-k6-flags.ts';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The flags that do not apply to a script, and its --workers (default 1). */
export function scriptFlagProblems(
  operands: string[],
  o: Record<string, unknown>,
  self: Command,
  params: ReadonlyMap<string, unknown>,
  unknownOptions: readonly string[],
): { problems: string[]; workers: number | 'auto' } {
  const problems: string[] = [];
  if (operands.length > 1)
    problems.push(`one script at a time, without scenario ids (got ${operands.join(' ')})`);
  for (const u of unknownOptions) problems.push(unknownRunOption(u));
  // Given on the command line only: the environment and tickstorm.config.json may hold the
  // built-in scenarios' parameters and targets for other runs; a script run leaves them.
  const cli = (flag: string) =>
    self.getOptionValueSource(flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())) === 'cli';
  for (const flag of params.keys())
    if (flag !== 'duration' && cli(flag))
      problems.push(`--${flag} is a scenario parameter; a script sets its own options`);
  for (const flag of [
    'market-data-url',
    'orders-url',
    'risk-url',
    'api-url',
    'full',
    'bench',
    'watch-pid',
    'results-csv',
    'gate-resources',
  ])
    if (cli(flag)) problems.push(`--${flag} applies to the built-in scenarios, not to a script`);
  if (cli('config'))
    problems.push(
      `--config is the built-in scenarios' file of thresholds and parameters, not a script's: ${K6_CONFIG_FILE}`,
    );
  let workers: number | 'auto' = 1;
  if (['cli', 'env', 'config'].includes(self.getOptionValueSource('workers') ?? '')) {
    const raw = String(o.workers);
    const n = Number(raw);
    if (raw === 'auto') workers = 'auto';
    else if (Number.isInteger(n) && n > 0) workers = n;
    else problems.push(`--workers must be a positive integer or auto (got '${raw}')`);
  }
  return { problems, workers };
}

/**
 * `tickstorm run FILE.ts`: checks the flags that make sense for a script, then runs it.
 * `execution`: k6's shortcuts set elsewhere (a master's, for its worker); else this command
 * line's --vus/--duration/--iterations/--stage.
 */
export async function runScriptCommand(
  operands: string[],
  o: Record<string, unknown>,
  self: Command,
  params: ReadonlyMap<string, unknown>,
  unknownOptions: readonly string[],
  extra: RunExtra & { execution?: { shortcuts?: ExecutionShortcuts } } = {},
): Promise<number> {
  const flags = scriptFlagProblems(operands, o, self, params, unknownOptions);
  const { workers } = flags;
  const problems = [...(extra.problems ?? []), ...flags.problems];
  const execution =
    extra.execution === undefined ? scriptExecutionOf(o, problems) : extra.execution.shortcuts;
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(EXIT_ABORTED);
    process.stderr.write('\nstopping: ending the script run early and reporting (Ctrl-C again to quit)\n');
    abort.abort();
  };
  // SIGTERM as Ctrl-C, as k6 takes both: a CI job's timeout or a container's stop still gets
  // the results so far, teardown() and 105 (a second signal quits at once)
  if (extra.signal === undefined) for (const sig of SIGNALS) process.on(sig, onSignal);
  else if (extra.signal.aborted)
    abort.abort(); // a worker's part stopped before it began
  else extra.signal.addEventListener('abort', () => abort.abort(), { once: true });
  try {
    const r = await runScriptFile({
      // listed with the script file's, --out's and -e's problems (every problem at once)
      problems: withSources(problems),
      file: operands[0],
      workers,
      thresholds: (o.threshold as string[] | undefined) ?? [],
      noThresholds: o.thresholds === false,
      files: {
        json: o.json as string | undefined,
        csv: o.csv as string | undefined,
        html: o.html as string | undefined,
        junit: o.junit as string | undefined,
      },
      tls: { insecure: o.insecure === true, ...tlsFileFlags(o) },
      outputs: (o.out as string[] | undefined) ?? [],
      summaryExport: o.summaryExport as string | undefined,
      ...summaryFlagsOf(o),
      ...(o.quiet === true ? { progress: { quiet: true } } : {}),
      env: (o.env as string[] | undefined) ?? [],
      tags: (o.tag as string[] | undefined) ?? [],
      version: packageVersion(),
      signal: abort.signal,
      segment: extra.segment,
      metricsPort: extra.metricsPort,
      metricsFlag: extra.metricsFlag,
      metrics: extra.metrics,
      lifecycle: extra.lifecycle,
      execution,
    });
    const sum = r.summary;
    extra.onReport?.(
      sum === null || r.report === null
        ? null
        : {
            tool: 'tickstorm',
            version: sum.version,
            startedAt: sum.startedAt,
            finishedAt: sum.finishedAt,
            target: sum.script,
            scenarios: sum.scenarios,
            thresholds: sum.labThresholds,
            exitCode: sum.exitCode,
            script: r.report.script,
          },
    );
    return r.exitCode;
  } finally {
    for (const sig of SIGNALS) process.off(sig, onSignal);
  }
}

/** k6's --summary-trend-stats, --summary-time-unit and --no-summary, as runScriptFile takes them. */
export function summaryFlagsOf(o: Record<string, unknown>): {
  summaryFlags?: { trendStats?: string; timeUnit?: string };
  noSummary?: boolean;
} {
  const trendStats = o.summaryTrendStats === undefined ? undefined : String(o.summaryTrendStats);
  const timeUnit = o.summaryTimeUnit === undefined ? undefined : String(o.summaryTimeUnit);
  return {
    ...(trendStats === undefined && timeUnit === undefined
      ? {}
      : {
          summaryFlags: {
            ...(trendStats === undefined ? {} : { trendStats }),
            ...(timeUnit === undefined ? {} : { timeUnit }),
          },
        }),
    ...(o.summary === false ? { noSummary: true } : {}),
  };
}
