/**
 * A scenario suite: what a caller hands the lab's `run` machinery. The lab knows nothing of
 * the system under test; the suite brings its scenarios, how its targets are given on the
 * command line and checked, and any tables to print after the run.
 *
 *   const suite: ScenarioSuite<MyUrls> = {
 *     name: 'my-system',
 *     scenarios: [checkout, search],
 *     target: {
 *       flags: [{ flag: 'base-url', help: 'http://host:port of the shop' }],
 *       resolve: (v) => ({ urls: { base: v['base-url'] ?? 'http://127.0.0.1:8080' }, label: '...', problems: [] }),
 *       unreachable: (urls) => probeHealth([['shop', urls.base]]),
 *     },
 *   };
 *   const { plan, problems } = planRun(suite, input);
 */
import type { RunReport } from '../model/result.ts';
import type { SummaryTable } from '../report/summary-table.ts';
import type { WatchTarget } from '../resources/resource-watch.ts';
import type { ScenarioDefinition } from './scenario.ts';

/** A scenario of the run, as the target check sees it. */
export interface PlannedRun {
  id: string;
  params: Readonly<Record<string, unknown>>;
}

export interface TargetFlag {
  /** Without dashes, e.g. 'orders-url'. */
  flag: string;
  help: string;
  /** Shown in --help and used when the flag is absent. */
  default?: string;
}

export interface ResolvedTarget<T> {
  urls: T;
  /** For reports: the host, or the URLs given one by one. */
  label: string;
  /** Every problem, each naming its flag. */
  problems: string[];
}

export interface SuiteTarget<T> {
  /** The flags that say where the system under test is. */
  flags: readonly TargetFlag[];
  /** Flag (no dashes) -> value as typed, absent when not given. */
  resolve(values: Readonly<Record<string, string | undefined>>): ResolvedTarget<T>;
  /**
   * One line per service the selected scenarios need that does not answer (empty: all
   * answer). Each scenario comes with its params, since they may decide what it needs.
   */
  unreachable(urls: T, scenarios: readonly PlannedRun[]): Promise<string[]>;
  /** Printed under the unreachable lines: how to start the system or point elsewhere. */
  hint?: string;
  /** What the resource watch samples when no --watch-pid is given. */
  defaultWatch?(urls: T): WatchTarget | undefined;
}

export interface SuitePrelude {
  /** Printed before it runs, e.g. 'Critical-path micro-benchmarks (in a child process)...'. */
  describe: string;
  /** Runs once before the first scenario; a failure is reported and the run goes on. */
  run(): Promise<void>;
}

export interface ScenarioSuite<T = unknown> {
  /** The command name in messages, e.g. 'tickstorm run'. */
  name: string;
  /** In the order they run. */
  scenarios: readonly ScenarioDefinition<T>[];
  target: SuiteTarget<T>;
  /** Work before the scenarios when the run asks for it (--bench); on by default for `all`. */
  prelude?: SuitePrelude;
  /** Tables printed after the scenarios and put in the HTML report. */
  tables?(report: RunReport): SummaryTable[];
  /** Notes printed after the tables. */
  notes?(report: RunReport): string[];
}
