/**
 * `tickstorm run`'s checks of single flags that the load lab does not make: each adds its
 * problems to the list the command reports all at once (exit 104).
 */
import {
  type ExecutionSegment,
  type ExecutionShortcuts,
  type MasterWorkerPlan,
  parseExecutionFlags,
  parseExecutionSegment,
} from '@tickstorm/loadlab';
import type { Command } from 'commander';

/** k6's shortcuts that only a script takes (--duration is also the built-in scenarios' parameter). */
const SCRIPT_ONLY = ['vus', 'iterations', 'stage'];

/** A built-in scenario run given --vus, --iterations or --stage on the command line: a problem each. */
export function scriptOnlyProblems(self: Command, problems: string[]): void {
  for (const f of SCRIPT_ONLY)
    if (self.getOptionValueSource(f) === 'cli')
      problems.push(
        `--${f} is k6's shortcut for a script; the built-in scenarios take their own parameters (--rate, --duration, ...)`,
      );
}

/**
 * A script's --vus/--duration/--iterations/--stage (from the command line, TICKSTORM_* or the
 * config file): k6's shortcuts over its options, or undefined when none was given.
 */
export function scriptExecutionOf(
  o: Record<string, unknown>,
  problems: string[],
): ExecutionShortcuts | undefined {
  const str = (v: unknown) => (v === undefined ? undefined : String(v));
  return parseExecutionFlags(
    {
      vus: str(o.vus),
      duration: str(o.duration),
      iterations: str(o.iterations),
      stage: o.stage as string[] | undefined,
    },
    problems,
  );
}

/** --execution-segment: this run's part of the load (a master gives each worker its own). */
export function executionSegmentOf(
  o: Record<string, unknown>,
  role: MasterWorkerPlan['role'],
  problems: string[],
): ExecutionSegment | undefined {
  if (o.executionSegment === undefined) return undefined;
  const r = parseExecutionSegment(String(o.executionSegment));
  if (r.problem !== undefined) problems.push(r.problem);
  if (role === 'master')
    problems.push('--execution-segment is for a single run: the master gives each worker its part');
  return r.segment;
}

/**
 * --out prometheus[=PORT]: the generator's /metrics while it runs (the same as --metrics-port).
 * Takes it out of `o.out` and sets `o.metricsPort` (commander's own option values).
 */
export function takePrometheusOut(o: Record<string, unknown>, problems: string[]): void {
  const outs = (o.out as string[] | undefined) ?? [];
  const prom = outs.filter((v) => /^prometheus(=|$)/.test(v));
  if (prom.length === 0) return;
  const m = /^prometheus(?:=(?:[^:]*:)?(\d+))?$/.exec(prom[prom.length - 1]);
  o.out = outs.filter((v) => !prom.includes(v));
  if (m === null || (o.metricsPort !== undefined && m[1] !== undefined))
    problems.push(
      `--out ${prom[prom.length - 1]}: ${
        m === null
          ? 'expected prometheus or prometheus=PORT'
          : 'give the port once (--out prometheus=PORT or --metrics-port PORT)'
      }`,
    );
  else if (o.metricsPort === undefined) {
    o.metricsPort = m[1] ?? '9464';
    // a problem with that port names the flag as given (metricsFlagOf)
    o.metricsFlag = `--out ${prom[prom.length - 1]}`;
  }
}

/**
 * The flag that gave the generator's port, as the user wrote it, for a problem with that port:
 * `--metrics-port 9464`, `--out prometheus=9464`, or `--out prometheus (port 9464)`.
 */
export function metricsFlagOf(o: Record<string, unknown>, port: number | string): string {
  const given = o.metricsFlag as string | undefined;
  if (given === undefined) return `--metrics-port ${port}`;
  return given.includes('=') ? given : `${given} (port ${port})`;
}

/** --metrics-port as a number (0: a free port); undefined when not given. */
export function metricsPortOf(o: Record<string, unknown>, problems: string[]): number | undefined {
  const metricsPort = o.metricsPort === undefined ? undefined : Number(o.metricsPort);
  if (
    metricsPort !== undefined &&
    !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort < 65536)
  )
    problems.push(
      `${(o.metricsFlag as string | undefined) ?? '--metrics-port'} must be a port number 0..65535 (got '${String(o.metricsPort)}')`,
    );
  return metricsPort;
}

/** --ca, --cert and --key of a script run, as files to load (script-load.ts checks them). */
export function tlsFileFlags(o: Record<string, unknown>): {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
} {
  return {
    caFile: o.ca as string | undefined,
    certFile: o.cert as string | undefined,
    keyFile: o.key as string | undefined,
  };
}
