/**
 * The contract between a scenario (market-data-flood, order-stress, db-throughput,
 * ws-concurrency) and `tickstorm run`. A scenario declares its parameters (so the CLI can
 * offer every one as a flag, with the guide's load profile as defaults: short durations by
 * default, the seed's full ones with --full), validates them (every problem at once), and
 * runs against the target's URLs, returning a ScenarioResult with its targets checked.
 */
import type { ScenarioResult, TimeSlice } from '../model/result.ts';

export type ScenarioId = 'market-data-flood' | 'order-stress' | 'db-throughput' | 'ws-concurrency';
export const SCENARIO_IDS: readonly ScenarioId[] = [
  'market-data-flood',
  'order-stress',
  'db-throughput',
  'ws-concurrency',
];

export interface ParamSpec {
  /** Key in the params object, camelCase (e.g. ticksPerFrame). */
  key: string;
  /** CLI flag without dashes, kebab-case (e.g. ticks-per-frame). */
  flag: string;
  type: 'number' | 'integer' | 'duration' | 'string' | 'boolean' | 'list';
  /** Default for a short run (`tickstorm run`, `npm start`). */
  default: unknown;
  /** The seed's value (`--full`), when it differs. */
  full?: unknown;
  help: string;
}

/** Where the system under test listens. */
export interface TargetUrls {
  /** ws://host:5001/stream */
  marketDataWs: string;
  /** http://host:5001 (market-data HTTP: /health, /stats) */
  marketDataHttp: string;
  /** http://host:5002 */
  orders: string;
  /** http://host:5003 */
  risk: string;
  /** http://host:8000 */
  api: string;
  /** ws://host:8000/ws/metrics */
  apiWs: string;
}

/** Streams one row per request to `--results-csv` (report/results-csv.ts ResultsCsvWriter fits). */
export interface RequestRowSink {
  write(timestampSec: number, latencyMs: number, success: boolean, name: string): void;
}

export interface ScenarioRunContext {
  urls: TargetUrls;
  /** Generator threads ('auto' by default). */
  workers: number | 'auto';
  /** Called once a second with the merged second (progress display). */
  onSlice?: (s: TimeSlice) => void;
  /** Per-request rows for --results-csv, when asked for. */
  rows?: RequestRowSink;
  signal?: AbortSignal;
}

export interface ScenarioDefinition {
  id: ScenarioId;
  /** The guide's heading, e.g. "Market Data Flood". */
  title: string;
  params: readonly ParamSpec[];
  /** Every problem with the (merged) params, each naming its flag. */
  validate(params: Record<string, unknown>): string[];
  run(ctx: ScenarioRunContext, params: Record<string, unknown>): Promise<ScenarioResult>;
}
