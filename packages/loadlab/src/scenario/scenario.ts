/**
 * What a scenario is to the lab. A scenario declares its parameters (so a CLI can offer every
 * one as a flag: short defaults, and the full profile with --full), validates them (every
 * problem at once, each naming its flag), and runs against its targets, returning a
 * ScenarioResult with its targets checked. `T` is the shape of the targets a suite resolves
 * (URLs of the system under test); the lab never looks inside it.
 */
import type { TlsOptions } from '../clients/tls-options.ts';
import type { ExecutionSegment } from '../generator/execution-segment.ts';
import type { ScenarioResult } from '../model/result.ts';
import type { SliceListener } from '../stats/slice-detail.ts';

export interface ParamSpec {
  /** Key in the params object, camelCase (e.g. ticksPerFrame). */
  key: string;
  /** CLI flag without dashes, kebab-case (e.g. ticks-per-frame). */
  flag: string;
  type: 'number' | 'integer' | 'duration' | 'string' | 'boolean' | 'list';
  /** Default for a short run. */
  default: unknown;
  /** The full profile's value (`--full`), when it differs. */
  full?: unknown;
  help: string;
  /** False when the other params make this one meaningless (left out of the run's summary line). */
  relevant?(params: Record<string, unknown>): boolean;
}

/** Streams one row per request to `--results-csv` (report/results-csv.ts ResultsCsvWriter fits). */
export interface RequestRowSink {
  /** `name` is "TYPE name"; `status` the HTTP status (0 when none). */
  write(timestampSec: number, latencyMs: number, success: boolean, name: string, status?: number): void;
}

export interface ScenarioRunContext<T = unknown> {
  /** Where the system under test listens, as the suite resolved it. */
  urls: T;
  /** Generator threads ('auto' by default). */
  workers: number | 'auto';
  /** Called once a second with the merged second (progress display), and its detail if asked. */
  onSlice?: SliceListener;
  /** Hand each second's detail to `onSlice` (per-name latency buckets: a Prometheus exporter). */
  sliceDetail?: boolean;
  /** Per-request rows for --results-csv, when asked for. */
  rows?: RequestRowSink;
  signal?: AbortSignal;
  /** https/wss targets: --insecure / --ca / --cert --key (pass them on to the clients). */
  tls?: TlsOptions;
  /**
   * Run only this part of the load (a `run --master` worker, `--execution-segment`): the
   * executors take it from runScript; a scenario scales its own totals and targets with
   * segmentShare / segmentFraction. Absent: the whole.
   */
  segment?: ExecutionSegment;
}

export interface ScenarioDefinition<T = unknown> {
  id: string;
  /** A heading, e.g. "Market Data Flood". */
  title: string;
  params: readonly ParamSpec[];
  /** Every problem with the (merged) params, each naming its flag. */
  validate(params: Record<string, unknown>): string[];
  run(ctx: ScenarioRunContext<T>, params: Record<string, unknown>): Promise<ScenarioResult>;
  /**
   * The body of the scenario's results block (between its heading and its targets). Without
   * it: totals, throughput and latency percentiles.
   */
  summaryLines?(result: ScenarioResult): string[];
}
