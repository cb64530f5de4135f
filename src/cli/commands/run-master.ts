/**
 * `tickstorm run --master`: runs no load here. Validates the command line as the test (the
 * built-in scenarios as a plan, or a script's text), runs a script's setup() once, sends the
 * test to the workers and merges their reports; a script's gates are checked on the whole.
 */
import {
  EXIT_INVALID_CONFIG,
  EXIT_SCRIPT_ERROR,
  gatherThresholds,
  isScriptOperand,
  loadScriptGates,
  type MasterWorkerPlan,
  planRun,
  problemsText,
  type RunPlan,
  type RunTest,
  runAsMaster,
  type ScriptGates,
  type ScriptScenarioMetrics,
} from '@tickstorm/loadlab';
import { packageVersion } from './package-version.ts';
import { withSources } from './run-defaults.ts';
import { scenariosTest, scriptTest } from './run-distributed.ts';
import { scriptExecutionOf, scriptOnlyProblems, tlsFileFlags } from './run-flag-checks.ts';
import { type RunLine, runInput } from './run-input.ts';
import { summaryFlagsOf } from './run-script-command.ts';
import { SCENARIOS_LOADED, tickstormSuite } from './scenarios-loaded.ts';

/** The exit code; `mwProblems` are the command line's problems found so far (reported with the rest). */
export async function runMaster(line: RunLine, mw: MasterWorkerPlan, mwProblems: string[]): Promise<number> {
  const { defs, scenarios, o, self, params, unknownOptions } = line;
  const script = scenarios.some(isScriptOperand);
  let test: RunTest | undefined;
  if (o.env !== undefined)
    mwProblems.push(
      '--env: the script runs on the workers, each with its own environment: give -e KEY=VALUE to each --worker',
    );
  if (o.tag !== undefined)
    mwProblems.push('--tag: the samples are the workers’: give --tag NAME=VALUE to each --worker');
  if (script) {
    const th = gatherThresholds((o.threshold as string[] | undefined) ?? [], []);
    mwProblems.push(...th.problems);
    // k6's shortcuts are the master's: the workers run the script with them
    const execution = scriptExecutionOf(o, mwProblems);
    const t = scriptTest(scenarios, o.insecure === true, execution);
    if (t.problem !== undefined) mwProblems.push(t.problem);
    test = t.test;
  } else if (SCENARIOS_LOADED.error !== undefined) mwProblems.push(SCENARIOS_LOADED.error);
  else {
    scriptOnlyProblems(self, mwProblems);
    const input = runInput(scenarios, o, self, params, unknownOptions);
    const r = planRun(tickstormSuite(defs), { ...input, watch: false, watchPids: [] });
    mwProblems.push(...r.problems);
    if (r.plan !== undefined) test = scenariosTest(r.plan as RunPlan<unknown>, input);
  }
  if (mwProblems.length > 0 || test === undefined) {
    console.error(problemsText('tickstorm run', withSources(mwProblems)));
    return EXIT_INVALID_CONFIG;
  }
  // Ctrl-C or SIGTERM from here on: during setup() it cuts setup() (105, no scenario), later
  // it stops the workers' parts (105 with what they measured).
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await masterRun(o, mw, test, abort.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function masterRun(
  o: Record<string, unknown>,
  mw: MasterWorkerPlan,
  test: RunTest,
  signal: AbortSignal,
): Promise<number> {
  // A script's gates are the whole test's: load it as a run does (its options.thresholds
  // and custom metrics; 104/107 when it does not load) and check them on the merged report.
  let gates: ScriptGates | undefined;
  // what setup() recorded here: its requests count in the merged whole, as on one machine
  let setupPart: ScriptScenarioMetrics | undefined;
  if (test.kind === 'script') {
    const g = await loadScriptGates({
      file: test.file,
      thresholds: (o.threshold as string[] | undefined) ?? [],
      tls: { insecure: o.insecure === true, ...tlsFileFlags(o) },
      version: packageVersion(),
      out: () => undefined,
      execution: test.execution,
      ...summaryFlagsOf(o),
    });
    if ('exitCode' in g) return g.exitCode;
    gates = g;
    // setup() once, here, for every worker: its data travels with the test
    const s = await g.runSetup(signal);
    if (s.interrupted === true) {
      console.error('tickstorm run: interrupted during setup(): no scenario was run.');
      return s.exitCode ?? EXIT_SCRIPT_ERROR;
    }
    if (s.problem !== undefined) {
      console.error(`tickstorm run: script error in ${test.file}: ${s.problem}\nno scenario was run.`);
      return s.exitCode ?? EXIT_SCRIPT_ERROR;
    }
    test.lifecycle = { withSetup: g.lifecycle.includes('setup'), dataJson: s.dataJson };
    setupPart = s.part;
  }
  return runAsMaster({
    plan: mw,
    test,
    thresholds: gates?.lab ?? gatherThresholds((o.threshold as string[] | undefined) ?? [], []).thresholds,
    script:
      gates === undefined
        ? undefined
        : {
            k6: gates.k6,
            declared: gates.declared,
            labStrings: gates.labStrings,
            setupPart,
            teardown: () => gates.runTeardown(test.kind === 'script' ? test.lifecycle?.dataJson : undefined),
            handleSummary: gates.handleSummary,
            ...(typeof o.summaryExport === 'string'
              ? { summaryExport: { file: o.summaryExport, options: gates.summaryOptions } }
              : {}),
          },
    files: {
      json: o.json as string | undefined,
      csv: o.csv as string | undefined,
      html: o.html as string | undefined,
      junit: o.junit as string | undefined,
    },
    version: packageVersion(),
    signal,
  });
}
