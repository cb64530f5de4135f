/**
 * `tickstorm run <scenario...>|all`: the four standard load scenarios against a running system.
 * Every scenario parameter is a flag (the union of the scenarios' ParamSpecs; a flag several
 * scenarios declare, like --duration or --rate, goes to each selected one that has it).
 * Validation reports every problem at once and exits 104; then the run, the tables, the
 * files, and the gate: exit 0 passed, 99 a threshold or scenario target failed.
 *
 * This file wires the pieces: the flags (run-flags.ts, help text in run-help.ts), their
 * sources (run-defaults.ts) and checks (run-flag-checks.ts), then one of the ways to run:
 * here (run-command.ts, run-script-command.ts), --master (run-master.ts) or --worker
 * (run-worker.ts, with run-distributed.ts).
 */
import {
  EXIT_INVALID_CONFIG,
  isScriptOperand,
  masterWorkerFlagsOf,
  planMasterWorker,
  type RunInput,
  useKeyFile,
} from '@tickstorm/loadlab';
import type { Command } from 'commander';
import { exitOnceDone } from './exit-once-done.ts';
import { runCommand } from './run-command.ts';
import { applyRunDefaults } from './run-defaults.ts';
import {
  executionSegmentOf,
  metricsFlagOf,
  metricsPortOf,
  scriptOnlyProblems,
  takePrometheusOut,
} from './run-flag-checks.ts';
import { defineRunFlags } from './run-flags.ts';
import { RUN_HELP_AFTER } from './run-help.ts';
import { paramValues, type RunLine, runInput, splitOperands } from './run-input.ts';
import { runMaster } from './run-master.ts';
import { runScriptCommand } from './run-script-command.ts';
import { runWorker } from './run-worker.ts';
import { SCENARIOS_LOADED } from './scenarios-loaded.ts';

export function registerRunCommand(program: Command, defs = SCENARIOS_LOADED.defs): Command {
  const ids = defs.map((d) => d.id);
  const { cmd, paramOptions } = defineRunFlags(program, defs);
  cmd
    .allowUnknownOption()
    .addHelpText('after', RUN_HELP_AFTER)
    .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG))
    .action(async (operands: string[], _o: Record<string, unknown>, self: Command) => {
      try {
        await runAction(operands, self);
      } finally {
        exitOnceDone();
      }
    });
  async function runAction(operands: string[], self: Command): Promise<void> {
    // the environment's and the config file's problems are listed with the command line's
    // (every problem at once): a key that is not a flag or a value that does not fit is left unset
    const { scenarios, unknownOptions } = splitOperands(operands, ids);
    const defaults = applyRunDefaults(
      self,
      self.getOptionValue('configFile') as string | undefined,
      undefined,
      scenarios.some(isScriptOperand),
    );
    const o = self.opts() as Record<string, unknown>;
    useKeyFile(o.keyFile as string | undefined);
    const params = paramValues(self, paramOptions);
    const mwProblems: string[] = [...defaults];
    const mw = planMasterWorker(masterWorkerFlagsOf(o), mwProblems);
    const script = scenarios.some(isScriptOperand);
    const cliGiven = (attr: string) => self.getOptionValueSource(attr) === 'cli';
    const segment = executionSegmentOf(o, mw.role, mwProblems);
    const line: RunLine = { defs, ids, scenarios, o, self, params, unknownOptions };
    const noThresholds = o.thresholds === false;
    if (noThresholds && mw.role !== 'local')
      mwProblems.push(
        '--no-thresholds: not supported with --master or --worker (the whole is checked on the master)',
      );
    if (o.summary === false && mw.role !== 'local')
      mwProblems.push('--no-summary: not supported with --master or --worker');
    if (mw.role === 'master') {
      if (
        cliGiven('metricsPort') ||
        ((o.out as string[] | undefined) ?? []).some((v) => /^prometheus(=|$)/.test(v))
      )
        mwProblems.push(
          '--metrics-port / --out prometheus: a master runs no load; give it to each --worker (each serves its own part)',
        );
      // the samples are the workers': a master's --out json would stay empty (it wrote nothing)
      if (((o.out as string[] | undefined) ?? []).some((v) => /^json=/.test(v)))
        mwProblems.push(
          '--out json=FILE: a master runs no load; give it to each --worker (each streams its own part)',
        );
      process.exitCode = await runMaster(line, mw, mwProblems);
      return;
    }
    // Problems found so far are reported with the rest (every problem at once), not alone.
    const early = mwProblems;
    takePrometheusOut(o, early);
    if (mw.role === 'worker') {
      process.exitCode = await runWorker(line, paramOptions, mw, early);
      return;
    }
    const metricsPort = metricsPortOf(o, early);
    const metricsFlag = metricsPort === undefined ? undefined : metricsFlagOf(o, metricsPort);
    if (script) {
      process.exitCode = await runScriptCommand(scenarios, o, self, params, unknownOptions, {
        segment,
        problems: early,
        metricsPort,
        metricsFlag,
      });
      return;
    }
    if (cliGiven('env'))
      early.push("--env sets a script's __ENV; the built-in scenarios take no environment");
    if (cliGiven('tag')) early.push("--tag tags a script's samples; the built-in scenarios take no tags");
    if (noThresholds)
      early.push(
        "--no-thresholds leaves out a script's thresholds; the built-in scenarios' are their targets",
      );
    if (cliGiven('summaryExport'))
      early.push("--summary-export is k6's summary of a script; the built-in scenarios write --json");
    for (const [attr, flag] of [
      ['summaryTrendStats', '--summary-trend-stats'],
      ['summaryTimeUnit', '--summary-time-unit'],
    ])
      if (cliGiven(attr))
        early.push(`${flag} shapes a script's k6 summary; the built-in scenarios print their own`);
    if (o.summary === false)
      early.push("--no-summary leaves out a script's k6 summary; the built-in scenarios print their own");
    scriptOnlyProblems(self, early);
    const input: RunInput = { ...runInput(scenarios, o, self, params, unknownOptions), segment };
    process.exitCode = await runCommand(defs, input, {
      metricsPort,
      metricsFlag,
      problems: early,
      quiet: o.quiet === true,
    });
  }
  return cmd;
}
