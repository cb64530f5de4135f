/**
 * `tickstorm run --master` / `--worker`: which test the workers run.
 *
 * The master's command line is the test. For the built-in scenarios the master validates it
 * as a plan and sends the scenario ids, every parameter as the plan resolved them (flags,
 * TICKSTORM_* variables, config files, --full) and its target flags. For a script it sends
 * the file's text and the master's k6 shortcuts (--vus/--duration/--iterations/--stage), which
 * each worker applies over the script's options as a single run does. Each worker runs its
 * execution segment (1/N of the load) of that test.
 *
 * A worker may be started with no test (`tickstorm run --worker --master-host H`): it takes
 * the master's. For a script it writes the master's text to a temporary file and runs it
 * (a script that imports files of its own needs them on the worker: start that worker with
 * its copy of the script). A worker may also name the test, as a Locust worker names its
 * locustfile: the same scenario ids, or a script whose bytes equal the master's (it then runs
 * its own copy, so relative imports resolve on the worker). Scenario parameters, --full,
 * --config, the target flags, --execution-segment and a script's --vus/--iterations/--stage
 * belong to the master (on a worker: exit 104). The worker keeps what is about its own machine: --workers, --insecure/--ca/--cert/--key,
 * --key-file, --no-watch, and its own report files and --threshold for its part.
 *
 * A worker that cannot run the master's test (another scenario or script, a parameter its
 * version does not know, a script that does not load) says so and exits 104 (107 for a
 * script error); the master counts it missing and goes on with the others, or exits with
 * that code when none can run it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  EXIT_INVALID_CONFIG,
  EXIT_OK,
  EXIT_SCRIPT_ERROR,
  type ExecutionSegment,
  type ExecutionShortcuts,
  isScriptOperand,
  problemsText,
  type RunInput,
  type RunPlan,
  type RunReport,
  type RunTest,
} from '@tickstorm/loadlab';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The flags (no dashes) a worker leaves to its master. */
export const MASTER_TEST_FLAGS = [
  'full',
  'config',
  'target',
  'market-data-url',
  'orders-url',
  'risk-url',
  'api-url',
  'execution-segment',
  'vus',
  'iterations',
  'stage',
];

/** The master's script as a test (with its k6 shortcuts); a problem when it cannot be read. */
export function scriptTest(
  operands: readonly string[],
  insecure: boolean,
  execution?: ExecutionShortcuts,
): { test?: RunTest; problem?: string } {
  if (operands.length !== 1)
    return { problem: `one script at a time, without scenario ids (got ${operands.join(' ')})` };
  const file = operands[0];
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) return { problem: `${file}: no such script file` };
  const source = readFileSync(path, 'utf8');
  const name = basename(path);
  return {
    test: {
      kind: 'script',
      file,
      name,
      source,
      sha256: sha256(source),
      insecure,
      ...(execution === undefined ? {} : { execution }),
    },
  };
}

/** The master's validated plan of built-in scenarios as a test. */
export function scenariosTest(plan: RunPlan<unknown>, input: RunInput): RunTest {
  return {
    kind: 'scenarios',
    scenarios: plan.scenarios.map((s) => ({ id: s.def.id, params: { ...s.params } })),
    targets: { ...(input.targets ?? {}) },
    insecure: input.insecure === true,
  };
}

/** How a worker plans, checks and runs (the run command's own functions). */
export interface WorkerDeps {
  /** Every built-in scenario id, in the suite's order. */
  ids: readonly string[];
  /** The worker's command line: its operands, as a RunInput, and the test flags it was given. */
  operands: readonly string[];
  local: RunInput;
  testFlags: readonly string[];
  /** planRun's problems for an input. */
  planProblems: (input: RunInput) => string[];
  /** checkScriptFile (with the master's k6 shortcuts): the exit code, the reasons on `err`. */
  checkScript: (
    file: string,
    insecure: boolean,
    err: (t: string) => void,
    execution: ExecutionShortcuts | undefined,
  ) => Promise<number>;
  runScenarios: (input: RunInput, segment: ExecutionSegment, extra: WorkerExtra) => Promise<number>;
  runScript: (
    file: string,
    insecure: boolean,
    segment: ExecutionSegment,
    extra: WorkerExtra,
    lifecycle: (RunTest & { kind: 'script' })['lifecycle'],
    execution: ExecutionShortcuts | undefined,
  ) => Promise<number>;
}

export interface WorkerExtra {
  signal: AbortSignal;
  onReport: (report: RunReport | null) => void;
}

export interface RunWorkerSide {
  /** Problems with the worker's own command line (before it connects). */
  problems: string[];
  prepare: (test: RunTest) => Promise<{ code: number; message: string } | null>;
  run: (test: RunTest, segment: ExecutionSegment, signal: AbortSignal) => Promise<RunReport | null>;
  /** Removes a script the master shipped. */
  cleanup: () => void;
}

function selectedIds(tokens: readonly string[], ids: readonly string[]): string[] {
  const chosen = new Set(
    tokens
      .flatMap((t) => t.split(','))
      .map((t) => t.trim())
      .flatMap((t) => (t === 'all' ? ids : [t])),
  );
  return ids.filter((id) => chosen.has(id));
}

export function runWorkerSide(d: WorkerDeps): RunWorkerSide {
  const problems: string[] = d.testFlags.map(
    (f) => `--${f} is the master's: a worker runs the master's test (drop it here, or give it to the master)`,
  );
  const script = d.operands.some(isScriptOperand);
  if (script) {
    const f = d.operands[0];
    if (d.operands.length > 1)
      problems.push(`one script at a time, without scenario ids (got ${d.operands.join(' ')})`);
    else if (!existsSync(resolve(f)) || !statSync(resolve(f)).isFile())
      problems.push(`${f}: no such script file`);
  } else {
    for (const t of d.operands.flatMap((x) => x.split(',')).map((x) => x.trim()))
      if (t !== '' && t !== 'all' && !d.ids.includes(t))
        problems.push(`unknown scenario '${t}': use ${d.ids.join(', ')}, or all`);
  }
  let tempDir: string | undefined;
  let scriptFile: string | undefined;
  let input: RunInput | undefined;

  const refuse = (message: string, code: number = EXIT_INVALID_CONFIG) => ({ code, message });

  async function prepare(test: RunTest): Promise<{ code: number; message: string } | null> {
    if (test.kind === 'scenarios') {
      const theirs = test.scenarios.map((s) => s.id);
      if (script) return refuse(`the master runs scenarios ${theirs.join(', ')}, this worker a script`);
      const mine = selectedIds(d.operands, d.ids);
      if (d.operands.length > 0 && mine.join(',') !== theirs.join(','))
        return refuse(
          `the master runs ${theirs.join(', ')}, this worker was started for ${mine.join(', ')}; start it with just 'tickstorm run --worker'`,
        );
      input = {
        ...d.local,
        scenarios: theirs,
        targets: test.targets,
        full: false,
        config: undefined,
        prelude: false,
        params: new Map(),
        insecure: d.local.insecure === true || test.insecure,
        preset: {
          source: "the master's test",
          params: Object.fromEntries(test.scenarios.map((s) => [s.id, s.params])),
        },
      };
      const p = d.planProblems(input);
      return p.length === 0 ? null : refuse(problemsText('tickstorm run', p));
    }
    if (d.operands.length > 0 && !script)
      return refuse(`the master runs the script ${test.file}, this worker scenarios ${d.operands.join(' ')}`);
    if (script) {
      const mine = resolve(d.operands[0]);
      if (sha256(readFileSync(mine)) !== test.sha256)
        return refuse(
          `${d.operands[0]} differs from the master's ${test.file}: copy the master's script here, or start the worker without one to run the master's`,
        );
      scriptFile = mine;
    } else {
      tempDir = mkdtempSync(join(tmpdir(), 'tickstorm-master-script-'));
      scriptFile = join(tempDir, test.name);
      writeFileSync(scriptFile, test.source);
    }
    const text: string[] = [];
    const insecure = d.local.insecure === true || test.insecure;
    const code = await d.checkScript(scriptFile, insecure, (t) => text.push(t), test.execution);
    if (code === EXIT_OK) return null;
    const shipped =
      tempDir === undefined
        ? ''
        : `\n(the master sent only ${test.name}; a script that imports files or packages of its own needs them on the worker: start the worker with its copy, 'tickstorm run ${test.name} --worker ...')`;
    return refuse(`${text.join('\n')}${shipped}`, code === EXIT_SCRIPT_ERROR ? EXIT_SCRIPT_ERROR : code);
  }

  async function run(
    test: RunTest,
    segment: ExecutionSegment,
    signal: AbortSignal,
  ): Promise<RunReport | null> {
    let report: RunReport | null = null;
    const extra: WorkerExtra = { signal, onReport: (r) => (report = r) };
    if (test.kind === 'scenarios' && input !== undefined) await d.runScenarios(input, segment, extra);
    else if (test.kind === 'script' && scriptFile !== undefined)
      await d.runScript(
        scriptFile,
        d.local.insecure === true || test.insecure,
        segment,
        extra,
        test.lifecycle,
        test.execution,
      );
    return report;
  }

  return {
    problems,
    prepare,
    run,
    cleanup: () => {
      if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
