/**
 * `tickstorm run <scenario...>|all`: the four standard load scenarios against a running system.
 * Every scenario parameter is a flag (the union of the scenarios' ParamSpecs; a flag several
 * scenarios declare, like --duration or --rate, goes to each selected one that has it).
 * Validation reports every problem at once and exits 104; then the run, the tables, the
 * files, and the gate: exit 0 passed, 99 a threshold or scenario target failed.
 */
import { readFileSync } from 'node:fs';
import {
  checkScriptFile,
  EXIT_ABORTED,
  EXIT_CODES_HELP,
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  EXIT_SCRIPT_ERROR,
  type ExecutionSegment,
  executeRun,
  gatherThresholds,
  isScriptOperand,
  loadScriptGates,
  masterWorkerFlagsOf,
  paramFlagHelp,
  paramFlagUnion,
  parseExecutionSegment,
  planMasterWorker,
  planRun,
  problemsText,
  type RunInput,
  type RunPlan,
  type RunReport,
  type RunTest,
  runAsMaster,
  runAsWorker,
  runScriptFile,
  type ScenarioSuite,
  type ScriptGates,
  startLoadMetricsServer,
  useKeyFile,
} from '@tickstorm/loadlab';
import { DEFAULT_PORTS } from '@tickstorm/protocol';
import type { TargetUrls, TickstormScenario } from '@tickstorm/scenarios';
import { type Command, Option } from 'commander';
import { runBenchInChild } from './bench.ts';
import { applyRunDefaults, CONFIG_FILE, withSources } from './run-defaults.ts';
import { MASTER_TEST_FLAGS, runWorkerSide, scenariosTest, scriptTest } from './run-distributed.ts';

type Scenarios = typeof import('@tickstorm/scenarios');

/**
 * The scenarios, loaded once (their flags are needed to build the command). A scenario module
 * that fails to load does not take the rest of the CLI down: `run` and `start` report it.
 */
export const SCENARIOS_LOADED: {
  defs: readonly TickstormScenario[];
  createSuite?: Scenarios['createTickstormSuite'];
  error?: string;
} = await import('@tickstorm/scenarios').then(
  (m: Scenarios) => ({ defs: Object.values(m.SCENARIOS), createSuite: m.createTickstormSuite }),
  (e: Error) => ({ defs: [], error: `the scenarios could not be loaded: ${e.message}` }),
);

export const RUN_EXIT_CODES = EXIT_CODES_HELP;

/** The scenarios as a suite, with `tickstorm bench` (in a child process) as the prelude. */
export function tickstormSuite(defs: readonly TickstormScenario[]): ScenarioSuite<TargetUrls> {
  if (SCENARIOS_LOADED.createSuite === undefined) throw new Error(SCENARIOS_LOADED.error);
  return SCENARIOS_LOADED.createSuite({ scenarios: defs, bench: () => runBenchInChild({}) });
}

const PORTS = Object.values(DEFAULT_PORTS).join('/');

const HELP_AFTER = `
Scenarios run in their standard order. Short durations by default; --full uses the full load profiles.

Thresholds (repeatable, or "thresholds" in --config): METRIC[{scenario:ID,name:REQUEST}] OP VALUE
  p95<100ms  p(99)<=2s  avg<50ms  max<1s  error_rate<1%  success_rate>99%  rps>=1000
  p95{scenario:order-stress}<10ms   (unscoped thresholds apply to every scenario)

--config FILE (JSON): {"thresholds": ["p95<100ms"], "params": {"order-stress": {"rate": 500}}}

Resource watch: CPU and RSS of the target during each scenario, from its /api/metrics/system
(default) or from /proc for --watch-pid PIDs on this machine; peaks are checked against the
limits (< 2 GB RSS, < 80% CPU per process) and reported; --gate-resources makes a miss exit 99.

--bench runs \`tickstorm bench\` (this checkout's critical-path micro-benchmarks, on this
machine) first, for the Critical Path table's first four rows; on by default for \`all\`.
${RUN_EXIT_CODES}

Scripts (docs/scripts.md): \`tickstorm run FILE.ts|FILE.js\` runs a k6-style script exporting
\`options\` and a default function (tickstorm/http, tickstorm/metrics: Counter Gauge Rate Trend,
tickstorm/execution, or k6's names). A path operand (.ts/.js/.mjs/.mts or a /) is a script; the
scenario flags do not apply to it. --workers defaults to 1 for scripts. setup() runs once before
the scenarios, teardown(data) once after (also after 99, 108, Ctrl-C); with a setup() fn(data, ctx)
is called, else fn(ctx); setup() failing is 107 and nothing runs. __ENV is the environment with
-e KEY=VALUE and a scenario's env over it; __VU (unique in the test) and __ITER as k6's;
exec.test.abort(reason) stops the run (108). handleSummary(data) replaces the summary (throwing: 107).

Many machines (docs/load-lab.md#many-machines-run---master-and---worker): the master's command line is
the test, and each of the N workers runs 1/N of it (k6's execution segments: every rate, VU and
iteration count is split, the parts adding up exactly); the master merges their reports exactly.
  tickstorm run order-stress --rate 1000 --master --expect-workers 2 --master-bind-host 0.0.0.0
  tickstorm run --worker --master-host 10.0.0.5     (on each machine: 500 orders/s; a script comes from the master)
A script's options.thresholds are checked by the master on the merged whole (99 when one fails there);
each part's own verdict is shown, not deciding; a part stopped by abortOnFail or exec.test.abort(): 108.
A worker given scenario parameters or target flags of its own, or unable to run the master's test, exits 104.
A script's setup(), teardown() and handleSummary() run once, on the master; setup()'s data goes to the workers.

Every flag may also come from the environment, TICKSTORM_<FLAG> (--orders-url: TICKSTORM_ORDERS_URL,
--no-bench: TICKSTORM_BENCH=false), or from ./${CONFIG_FILE} (or --config-file FILE), a JSON object
keyed by flag name. Flags win over the environment, the environment over the file.

Examples:
  tickstorm run all
  tickstorm run ./load.ts --json out.json
  tickstorm run order-stress --rate 2000 --duration 30s --threshold 'p95<100ms' --json out.json
  tickstorm run market-data-flood --target 10.0.0.5 --csv results/locust --html report.html`;

/** Long flags of `run` itself; a scenario flag with one of these names is not offered. */
const FIXED = [
  'target',
  'metrics-port',
  'key-file',
  'market-data-url',
  'orders-url',
  'risk-url',
  'api-url',
  'full',
  'workers',
  'threshold',
  'config',
  'json',
  'csv',
  'results-csv',
  'html',
  'junit',
  'watch-pid',
  'watch',
  'no-watch',
  'bench',
  'no-bench',
  'gate-resources',
  'insecure',
  'ca',
  'out',
  'config-file',
  'execution-segment',
  'env',
  'help',
];

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];
const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return '0.0.0';
  }
}

/** Operands that look like options are unknown options; a value right after one is its value. */
function splitOperands(args: readonly string[], ids: readonly string[]) {
  const scenarios: string[] = [];
  const unknownOptions: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('-')) {
      unknownOptions.push(a);
      const next = args[i + 1];
      if (
        !a.includes('=') &&
        next !== undefined &&
        !next.startsWith('-') &&
        !ids.includes(next) &&
        next !== 'all'
      )
        i++;
    } else scenarios.push(a);
  }
  return { scenarios, unknownOptions };
}

export function registerRunCommand(program: Command, defs = SCENARIOS_LOADED.defs): Command {
  const ids = defs.map((d) => d.id);
  const cmd = program
    .command('run')
    .argument(
      '[scenario...]',
      `${ids.join(' | ')} | all (several: a b, or a,b), or a script FILE; a --worker takes its master's`,
    )
    .description('run the standard load scenarios against a running system, with thresholds as a CI gate')
    .optionsGroup('Target:')
    .option('--target <host>', `host of every service at the default ports ${PORTS}`, '127.0.0.1')
    .option('--market-data-url <url>', 'market-data: http://host:port, or ws://host:port/stream')
    .option('--orders-url <url>', 'execution-engine: http://host:port')
    .option('--risk-url <url>', 'risk-manager: http://host:port')
    .option('--api-url <url>', 'api: http://host:port (ws://host:port/ws/metrics derived)')
    .optionsGroup('Run:')
    .option('--full', 'the full load profiles (5-10 minutes each) instead of the short defaults')
    .option('--workers <n|auto>', 'generator threads', 'auto')
    .option('--bench', 'first run `tickstorm bench` for the Critical Path table (default: on for all)')
    .option('--no-bench', 'do not')
    .option(
      '--watch-pid <pid>',
      'resource-watch this local process (repeatable) instead of /api/metrics/system',
      collect,
    )
    .option('--no-watch', 'no resource watch')
    .option('--insecure', 'https/wss: do not verify the server certificate (self-signed test systems)')
    .option('--ca <file>', 'https/wss: also trust the PEM certificate(s) in FILE')
    .option(
      '-e, --env <KEY=VALUE>',
      "a script's __ENV.KEY (repeatable; over the process environment)",
      collect,
    )
    .option(
      '--execution-segment <segment>',
      'run only this equal part of the load, as k6 writes it: 0:1/2, 1/2:1, 1/3:2/3 (every rate, VU and iteration count; the parts add up exactly)',
    )
    .optionsGroup('Gates:')
    .option('--threshold <expr>', "pass/fail criterion, e.g. 'p95<100ms' (repeatable)", collect)
    .option('--config <file>', 'JSON file with thresholds and per-scenario params')
    .option(
      '--config-file <file>',
      `JSON file of run flags ({"rate": 500, "orders-url": "..."}); default ./${CONFIG_FILE} when present`,
    )
    .option('--gate-resources', 'resource peaks over the limits (< 2 GB, < 80% CPU) fail the run too')
    .optionsGroup('Reports:')
    .option('--json <file>', 'the results as JSON')
    .option('--csv <prefix>', 'Locust-compatible CSV files: PREFIX_stats.csv, PREFIX_stats_history.csv, ...')
    .option('--results-csv <file>', 'one row per request (timestamp,latency,success,duration,name)')
    .option('--html <file>', 'self-contained HTML report with charts')
    .option('--junit <file>', 'JUnit XML (one test case per target and threshold)')
    .option(
      '--metrics-port <port>',
      "serve the generator's own figures at http://127.0.0.1:PORT/metrics (Prometheus) while it runs; 0 = a free port",
    )
    .option(
      '--out <output>',
      "stream results: json=FILE (k6's JSON lines) or prometheus[=PORT] (the generator's /metrics, default port 9464); repeatable",
      collect,
    )
    .optionsGroup('Many machines (docs/load-lab.md#many-machines-run---master-and---worker):')
    .option(
      '--master',
      'run no load here: send this test to the --worker processes, each runs 1/N of the load; merge their reports exactly',
    )
    .option(
      '--worker',
      "run its part of the master's test (at --master-host) when it says go; no scenario or script needed here",
    )
    .option('--expect-workers <n>', 'master: start once this many workers joined (default 1)')
    .option(
      '--expect-workers-max-wait <seconds>',
      'master: give up (exit 1) after this long (default 60; 0: for ever)',
    )
    .option('--master-bind-host <host>', 'master: address workers connect to (default 127.0.0.1)')
    .option('--master-bind-port <port>', 'master: port (default 5557; 0: any free port, printed)')
    .option('--master-host <host>', "worker: the master's address (default 127.0.0.1)")
    .option('--master-port <port>', "worker: the master's port (default 5557)")
    .optionsGroup('Scenario parameters (each goes to every selected scenario declaring it):');
  const paramOptions: [flag: string, option: Option][] = [];
  for (const f of paramFlagUnion(defs)) {
    if (FIXED.includes(f.flag)) continue;
    const bool = f.owners.every((x) => x.spec.type === 'boolean');
    const o = new Option(`--${f.flag} ${bool ? '[bool]' : '<value>'}`, paramFlagHelp(f));
    cmd.addOption(o);
    paramOptions.push([f.flag, o]);
    if (bool && !FIXED.includes(`no-${f.flag}`))
      cmd.addOption(new Option(`--no-${f.flag}`, `--${f.flag} false`));
  }
  cmd
    .allowUnknownOption()
    .addHelpText('after', HELP_AFTER)
    .option(
      '--key-file <file>',
      'sign every request with this key ({"id","secret"}; or env TICKSTORM_KEY_ID/TICKSTORM_KEY_SECRET)',
    )
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG))
    .action(async (operands: string[], _o: Record<string, unknown>, self: Command) => {
      const defaults = applyRunDefaults(self, self.getOptionValue('configFile') as string | undefined);
      if (defaults.length > 0) {
        console.error(problemsText('tickstorm run', withSources(defaults)));
        process.exitCode = EXIT_INVALID_CONFIG;
        return;
      }
      const o = self.opts() as Record<string, unknown>;
      useKeyFile(o.keyFile as string | undefined);
      const { scenarios, unknownOptions } = splitOperands(operands, ids);
      const params = new Map<string, unknown>();
      for (const [flag, opt] of paramOptions) {
        const v = self.getOptionValue(opt.attributeName());
        if (v !== undefined) params.set(flag, v);
      }
      const mwProblems: string[] = [];
      const mw = planMasterWorker(masterWorkerFlagsOf(o), mwProblems);
      const script = scenarios.some(isScriptOperand);
      const cliGiven = (attr: string) => self.getOptionValueSource(attr) === 'cli';
      let segment: ExecutionSegment | undefined;
      if (o.executionSegment !== undefined) {
        const r = parseExecutionSegment(String(o.executionSegment));
        if (r.problem !== undefined) mwProblems.push(r.problem);
        segment = r.segment;
        if (mw.role === 'master')
          mwProblems.push('--execution-segment is for a single run: the master gives each worker its part');
      }
      if (mw.role === 'master') {
        let test: RunTest | undefined;
        if (o.env !== undefined)
          mwProblems.push(
            '--env: the script runs on the workers, each with its own environment: give -e KEY=VALUE to each --worker',
          );
        if (script) {
          const th = gatherThresholds((o.threshold as string[] | undefined) ?? [], []);
          mwProblems.push(...th.problems);
          const t = scriptTest(scenarios, o.insecure === true);
          if (t.problem !== undefined) mwProblems.push(t.problem);
          test = t.test;
        } else if (SCENARIOS_LOADED.error !== undefined) mwProblems.push(SCENARIOS_LOADED.error);
        else {
          const input = runInput(scenarios, o, self, params, unknownOptions);
          const r = planRun(tickstormSuite(defs), { ...input, watch: false, watchPids: [] });
          mwProblems.push(...r.problems);
          if (r.plan !== undefined) test = scenariosTest(r.plan as RunPlan<unknown>, input);
        }
        if (mwProblems.length > 0 || test === undefined) {
          console.error(problemsText('tickstorm run', withSources(mwProblems)));
          process.exitCode = EXIT_INVALID_CONFIG;
          return;
        }
        // A script's gates are the whole test's: load it as a run does (its options.thresholds
        // and custom metrics; 104/107 when it does not load) and check them on the merged report.
        let gates: ScriptGates | undefined;
        if (test.kind === 'script') {
          const g = await loadScriptGates({
            file: test.file,
            thresholds: (o.threshold as string[] | undefined) ?? [],
            tls: { insecure: o.insecure === true, caFile: o.ca as string | undefined },
            version: packageVersion(),
            out: () => undefined,
          });
          if ('exitCode' in g) {
            process.exitCode = g.exitCode;
            return;
          }
          gates = g;
          // setup() once, here, for every worker: its data travels with the test
          const s = await g.runSetup();
          if (s.problem !== undefined) {
            console.error(`tickstorm run: script error in ${test.file}: ${s.problem}\nno scenario was run.`);
            process.exitCode = s.exitCode ?? EXIT_SCRIPT_ERROR;
            return;
          }
          test.lifecycle = { withSetup: g.lifecycle.includes('setup'), dataJson: s.dataJson };
        }
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        process.exitCode = await runAsMaster({
          plan: mw,
          test,
          thresholds:
            gates?.lab ?? gatherThresholds((o.threshold as string[] | undefined) ?? [], []).thresholds,
          script:
            gates === undefined
              ? undefined
              : {
                  k6: gates.k6,
                  declared: gates.declared,
                  labStrings: gates.labStrings,
                  teardown: () =>
                    gates.runTeardown(test.kind === 'script' ? test.lifecycle?.dataJson : undefined),
                  handleSummary: gates.handleSummary,
                },
          files: {
            json: o.json as string | undefined,
            csv: o.csv as string | undefined,
            html: o.html as string | undefined,
            junit: o.junit as string | undefined,
          },
          version: packageVersion(),
          signal: abort.signal,
        });
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        return;
      }
      // Problems found so far are reported with the rest (every problem at once), not alone.
      const early = mwProblems;
      // --out prometheus[=PORT]: the generator's /metrics while it runs (the same as --metrics-port).
      const outs = (o.out as string[] | undefined) ?? [];
      const prom = outs.filter((v) => /^prometheus(=|$)/.test(v));
      if (prom.length > 0) {
        const m = /^prometheus(?:=(?:[^:]*:)?(\d+))?$/.exec(prom[prom.length - 1]);
        o.out = outs.filter((v) => !prom.includes(v));
        if (m === null || (o.metricsPort !== undefined && m[1] !== undefined))
          early.push(
            `--out ${prom[prom.length - 1]}: ${
              m === null
                ? 'expected prometheus or prometheus=PORT'
                : 'give the port once (--out prometheus=PORT or --metrics-port PORT)'
            }`,
          );
        else o.metricsPort ??= m[1] ?? '9464';
      }
      if (mw.role === 'worker') {
        const version = packageVersion();
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
          checkScript: async (file, insecure, err) => {
            const flags = scriptFlagProblems([file], o, self, new Map(), []);
            if (flags.problems.length > 0) {
              err(flags.problems.join('\n'));
              return EXIT_INVALID_CONFIG;
            }
            return checkScriptFile({
              file,
              workers: flags.workers,
              thresholds: (o.threshold as string[] | undefined) ?? [],
              tls: { insecure, caFile: o.ca as string | undefined },
              outputs: (o.out as string[] | undefined) ?? [],
              env: (o.env as string[] | undefined) ?? [],
              version,
              out: () => undefined,
              err,
            });
          },
          runScenarios: (input, seg, extra) => runCommand(defs, { ...input, segment: seg }, extra),
          runScript: (file, insecure, seg, extra, lifecycle) =>
            runScriptCommand([file], { ...o, insecure }, self, new Map(), [], {
              ...extra,
              segment: seg,
              lifecycle,
            }),
        });
        const problems = [...early, ...unknownOptions.map((u) => `unknown option '${u}'`), ...side.problems];
        if (problems.length > 0) {
          console.error(problemsText('tickstorm run --worker', withSources(problems)));
          process.exitCode = EXIT_INVALID_CONFIG;
          return;
        }
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          process.exitCode = await runAsWorker({
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
        }
        return;
      }
      const metricsPort = o.metricsPort === undefined ? undefined : Number(o.metricsPort);
      if (
        metricsPort !== undefined &&
        !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort < 65536)
      )
        early.push(`--metrics-port must be a port number 0..65535 (got '${String(o.metricsPort)}')`);
      if (script) {
        process.exitCode = await runScriptCommand(scenarios, o, self, params, unknownOptions, {
          segment,
          problems: early,
          metricsPort,
        });
        return;
      }
      if (cliGiven('env'))
        early.push("--env sets a script's __ENV; the built-in scenarios take no environment");
      const input: RunInput = { ...runInput(scenarios, o, self, params, unknownOptions), segment };
      process.exitCode = await runCommand(defs, input, { metricsPort, problems: early });
    });
  return cmd;
}

/** The RunInput of a command line (scenario ids, flags, parameters). */
function runInput(
  scenarios: string[],
  o: Record<string, unknown>,
  self: Command,
  params: Map<string, unknown>,
  unknownOptions: string[],
): RunInput {
  return {
    scenarios,
    targets: {
      target: o.target as string,
      'market-data-url': o.marketDataUrl as string | undefined,
      'orders-url': o.ordersUrl as string | undefined,
      'risk-url': o.riskUrl as string | undefined,
      'api-url': o.apiUrl as string | undefined,
    },
    full: o.full === true,
    workers: o.workers as string,
    thresholds: (o.threshold as string[] | undefined) ?? [],
    config: o.config as string | undefined,
    json: o.json as string | undefined,
    csv: o.csv as string | undefined,
    resultsCsv: o.resultsCsv as string | undefined,
    html: o.html as string | undefined,
    junit: o.junit as string | undefined,
    watchPids: (o.watchPid as string[] | undefined) ?? [],
    watch: o.watch !== false,
    prelude: o.bench as boolean | undefined,
    gateResources: o.gateResources === true,
    insecure: o.insecure === true,
    ca: o.ca as string | undefined,
    out: (o.out as string[] | undefined) ?? [],
    params,
    unknownOptions,
    knownFlags: self.options.map((x) => (x.long ?? '').replace(/^--/, '')),
  };
}

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
  if (extra.signal === undefined) process.on('SIGINT', onSignal);
  else extra.signal.addEventListener('abort', () => abort.abort(), { once: true });
  const exporter =
    extra.metricsPort === undefined ? undefined : await startLoadMetricsServer({ port: extra.metricsPort });
  if (exporter !== undefined) process.stderr.write(`generator metrics: ${exporter.url}\n`);
  try {
    const r = await executeRun(plan, {
      version: packageVersion(),
      signal: abort.signal,
      onSlice: exporter?.observe,
      onScenarioEnd: exporter?.finished,
    });
    extra.onReport?.(r.report);
    return r.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    await exporter?.close({ note: (line) => process.stderr.write(`${line}\n`) });
  }
}

/** A run under a master (run --worker): its signal instead of Ctrl-C, and its report handed over. */
export interface RunExtra {
  metricsPort?: number;
  signal?: AbortSignal;
  /** A script's part of the load (--execution-segment, or a master's worker). */
  segment?: ExecutionSegment;
  onReport?: (report: RunReport | null) => void;
  /** Problems the command line already showed (reported with the run's own, all at once). */
  problems?: readonly string[];
  /** A master's worker: setup() ran on the master (its data), teardown() runs there. */
  lifecycle?: { withSetup: boolean; dataJson?: string };
}

/** The flags that do not apply to a script, and its --workers (default 1). */
function scriptFlagProblems(
  operands: string[],
  o: Record<string, unknown>,
  self: Command,
  params: ReadonlyMap<string, unknown>,
  unknownOptions: readonly string[],
): { problems: string[]; workers: number | 'auto' } {
  const problems: string[] = [];
  if (operands.length > 1)
    problems.push(`one script at a time, without scenario ids (got ${operands.join(' ')})`);
  for (const u of unknownOptions) problems.push(`unknown option '${u}'`);
  // Given on the command line only: the environment and tickstorm.config.json may hold the
  // built-in scenarios' parameters and targets for other runs; a script run leaves them.
  const cli = (flag: string) =>
    self.getOptionValueSource(flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())) === 'cli';
  for (const flag of params.keys())
    if (cli(flag)) problems.push(`--${flag} is a scenario parameter; a script sets its own options`);
  for (const flag of [
    'market-data-url',
    'orders-url',
    'risk-url',
    'api-url',
    'full',
    'bench',
    'watch-pid',
    'config',
    'results-csv',
    'gate-resources',
  ])
    if (cli(flag)) problems.push(`--${flag} applies to the built-in scenarios, not to a script`);
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

/** `tickstorm run FILE.ts`: checks the flags that make sense for a script, then runs it. */
async function runScriptCommand(
  operands: string[],
  o: Record<string, unknown>,
  self: Command,
  params: ReadonlyMap<string, unknown>,
  unknownOptions: readonly string[],
  extra: RunExtra = {},
): Promise<number> {
  const flags = scriptFlagProblems(operands, o, self, params, unknownOptions);
  const { workers } = flags;
  const problems = [...(extra.problems ?? []), ...flags.problems];
  if (problems.length > 0) {
    console.error(problemsText('tickstorm run', withSources(problems)));
    return EXIT_INVALID_CONFIG;
  }
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(EXIT_ABORTED);
    process.stderr.write('\nstopping: ending the script run early and reporting (Ctrl-C again to quit)\n');
    abort.abort();
  };
  if (extra.signal === undefined) process.on('SIGINT', onSignal);
  else extra.signal.addEventListener('abort', () => abort.abort(), { once: true });
  try {
    const r = await runScriptFile({
      file: operands[0],
      workers,
      thresholds: (o.threshold as string[] | undefined) ?? [],
      files: {
        json: o.json as string | undefined,
        csv: o.csv as string | undefined,
        html: o.html as string | undefined,
        junit: o.junit as string | undefined,
      },
      tls: { insecure: o.insecure === true, caFile: o.ca as string | undefined },
      outputs: (o.out as string[] | undefined) ?? [],
      env: (o.env as string[] | undefined) ?? [],
      version: packageVersion(),
      signal: abort.signal,
      segment: extra.segment,
      metricsPort: extra.metricsPort,
      lifecycle: extra.lifecycle,
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
    process.off('SIGINT', onSignal);
  }
}
