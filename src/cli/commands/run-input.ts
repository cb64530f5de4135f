/**
 * `tickstorm run`'s command line as the load lab takes it: the operands split from the
 * unknown options, the scenario parameters given, and the RunInput of the built-in scenarios.
 */
import type { RunInput } from '@tickstorm/loadlab';
import type { TickstormScenario } from '@tickstorm/scenarios';
import type { Command } from 'commander';
import type { ParamOptions } from './run-flags.ts';

/** One `tickstorm run` command line, parsed (the master and worker sides take it whole). */
export interface RunLine {
  defs: readonly TickstormScenario[];
  /** Every built-in scenario id, in the suite's order. */
  ids: readonly string[];
  /** The operands: scenario ids, `all`, or a script file. */
  scenarios: string[];
  /** commander's option values (the command's own object: a change is seen by every reader). */
  o: Record<string, unknown>;
  self: Command;
  params: Map<string, unknown>;
  unknownOptions: string[];
}

/** Operands that look like options are unknown options; a value right after one is its value. */
export function splitOperands(args: readonly string[], ids: readonly string[]) {
  const scenarios: string[] = [];
  const unknownOptions: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    // a lone '-' is k6's script from stdin: an operand (the script run says it is not read)
    if (a.startsWith('-') && a !== '-') {
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

/** The scenario parameters that have a value (from the command line, the environment or the file). */
export function paramValues(self: Command, paramOptions: ParamOptions): Map<string, unknown> {
  const params = new Map<string, unknown>();
  for (const [flag, opt] of paramOptions) {
    const v = self.getOptionValue(opt.attributeName());
    if (v !== undefined) params.set(flag, v);
  }
  return params;
}

/** The RunInput of a command line (scenario ids, flags, parameters). */
export function runInput(
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
    cert: o.cert as string | undefined,
    key: o.key as string | undefined,
    out: (o.out as string[] | undefined) ?? [],
    params,
    unknownOptions,
    knownFlags: self.options.map((x) => (x.long ?? '').replace(/^--/, '')),
  };
}
