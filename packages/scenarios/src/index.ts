/**
 * @tickstorm/scenarios: Tickstorm's four standard load scenarios, their targets and the two
 * Performance Targets tables, built on the lab's public API (@tickstorm/loadlab).
 *
 *   market-data-flood  ticks over the ingest WebSocket, proven processed by acks and counters
 *   order-stress       a 60/30/10 limit/market/stop order mix at a fixed rate
 *   db-throughput      metric batches into the metrics store (over HTTP, or the library in-process)
 *   ws-concurrency     many WebSocket subscribers receiving market updates
 *
 * `createTickstormSuite()` hands them to the lab as a ScenarioSuite: `planRun(suite, input)`,
 * then `executeRun(plan, opts)`.
 */
import {
  type RunReport,
  renderScenarioBlock as renderBlock,
  renderConsoleReport as renderReport,
  type ScenarioResult,
  type ScenarioSuite,
} from '@tickstorm/loadlab';
import type { BenchRow } from '@tickstorm/protocol';
import { dbThroughput } from './db-throughput.ts';
import { marketDataFlood } from './market-data-flood.ts';
import { orderStress } from './order-stress.ts';
import type { ScenarioId, TargetUrls, TickstormScenario } from './scenario.ts';
import { formatNs, performanceTargetTables } from './target-tables.ts';
import { TICKSTORM_TARGET } from './target-urls.ts';
import { wsConcurrency } from './ws-concurrency.ts';

export const SCENARIOS: Readonly<Record<ScenarioId, TickstormScenario>> = {
  'market-data-flood': marketDataFlood,
  'order-stress': orderStress,
  'db-throughput': dbThroughput,
  'ws-concurrency': wsConcurrency,
};

export interface TickstormSuiteOptions {
  /** The scenarios (default: the four, in their standard order). */
  scenarios?: readonly TickstormScenario[];
  /** The critical-path micro-benchmarks, run first when the run asks for them (--bench). */
  bench?: () => Promise<readonly BenchRow[]>;
}

/** Micro-benchmark rows that missed: shown, not gated (`tickstorm bench` gates them, exit 1). */
export function benchNote(bench: readonly BenchRow[]): string | undefined {
  const missed = bench.filter((b) => b.pass === false);
  if (missed.length === 0) return undefined;
  const each = missed.map((b) => {
    const m = b.measure ?? 'p50';
    const v = m === 'p50' ? b.p50_ns : b.p99_ns;
    return `${b.name} ${v === null ? 'n/a' : formatNs(v)} (${m}) vs <${formatNs(b.target_ns)}`;
  });
  return `Note: micro-benchmark target(s) missed: ${each.join('; ')}. They inform the table and do not gate this run (\`tickstorm bench\` exits 1 on them).`;
}

/** The scenarios as a suite for the lab's run machinery, with the Performance Targets tables. */
export function createTickstormSuite(opts: TickstormSuiteOptions = {}): ScenarioSuite<TargetUrls> {
  let bench: readonly BenchRow[] = [];
  const run = opts.bench;
  return {
    name: 'tickstorm run',
    scenarios: opts.scenarios ?? Object.values(SCENARIOS),
    target: TICKSTORM_TARGET,
    prelude:
      run === undefined
        ? undefined
        : {
            describe: 'Critical-path micro-benchmarks (tickstorm bench, in a child process)...',
            run: async () => {
              try {
                bench = await run();
              } catch (e) {
                throw new Error(
                  `the benchmarks failed, Critical Path rows stay n/a: ${(e as Error).message}`,
                );
              }
            },
          },
    tables: (report) => performanceTargetTables(report, bench),
    notes: () => {
      const note = benchNote(bench);
      return note === undefined ? [] : [note];
    },
  };
}

/** A results block as a run of these scenarios prints it, e.g. "=== Order Stress Test Results ===". */
export function renderScenarioBlock(s: ScenarioResult): string {
  return renderBlock(s, blockOf(s));
}

function blockOf(s: ScenarioResult): { title?: string; lines?: (s: ScenarioResult) => string[] } {
  const def = (SCENARIOS as Record<string, TickstormScenario | undefined>)[s.scenario];
  return { title: def?.title, lines: def?.summaryLines };
}

/** Everything a finished run of these scenarios prints: blocks, Sample Results, both tables, thresholds. */
export function renderConsoleReport(report: RunReport, bench: readonly BenchRow[] = []): string {
  return renderReport(report, {
    blocks: blockOf,
    tables: performanceTargetTables(report, bench),
  });
}

export * from './results-blocks.ts';
export * from './scenario.ts';
export * from './target-tables.ts';
export * from './target-urls.ts';
export { dbThroughput, marketDataFlood, orderStress, wsConcurrency };
