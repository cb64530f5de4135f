/**
 * The load lab's result model: what generators produce (through the statistics, never
 * directly) and what every report, gate and table reads. JSON-able throughout. Latencies
 * are milliseconds in results; histograms inside the lab are microseconds.
 */

/** Latency summary in milliseconds. */
export interface LatencyMs {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * What the lab's summaries actually hold (a LatencyMs at run time): the rest of Locust's
 * percentile columns from the same HdrHistogram, 66%, 75%, 80%, 98%, 99.9%, 99.99%, and
 * 99.999% for the percentile curve.
 */
export interface LatencyMsFull extends LatencyMs {
  p66?: number;
  p75?: number;
  p80?: number;
  p98?: number;
  p99_9?: number;
  p99_99?: number;
  p99_999?: number;
}

/**
 * A latency recorder as JSON (stats/latency-codec.ts): `hdr` is a compressed base64
 * HdrHistogram (µs, 1 µs .. 1 h, 3 significant digits) holding every counter; count, sum,
 * min and max are exact. Adding decoded ones is exact: how reports from many machines merge.
 */
export interface EncodedLatency {
  hdr: string;
  /**
   * A run worker's part so far only (sent every 2 s, never in a report file): the counters
   * packed (stats/packed-counts.ts), cheaper to build than `hdr`, which is then ''.
   */
  packed?: string;
  count: number;
  sumUs: number;
  /** null when empty. */
  minUs: number | null;
  maxUs: number;
}

/** One request name's statistics (Locust's "Type" + "Name" row). */
export interface EntryStats {
  /** Locust's Type column: HTTP method, or WS / DB / TICK for non-HTTP work. */
  type: string;
  name: string;
  requests: number;
  failures: number;
  /** Requests per second over the measured duration. */
  rps: number;
  failuresPerSec: number;
  latency_ms: LatencyMs;
  avgContentLength: number;
  /** Status code (or error kind) -> count. */
  statusCounts: Record<string, number>;
  /** Body bytes in all (exact; avgContentLength is rounded). */
  bytes?: number;
  /** The latency counters, encoded (`tickstorm merge` adds them exactly). */
  histogram?: EncodedLatency;
}

/** One second of the run (for stats history, plots, and the HTML report). */
export interface ExtraPercentiles {
  p66: number;
  p75: number;
  p80: number;
  p90: number;
  p98: number;
  p99_9: number;
  p99_99: number;
}

/** One second's requests, failures and latencies (ms) of the requests that completed in it. */
export interface SecondFigures {
  requests: number;
  failures: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Locust's other percentile columns for this second (when it had requests). */
  more?: ExtraPercentiles;
}

/**
 * Locust's "current" figures at the end of a second (stats/current-window.ts): over the last
 * `seconds` closed seconds (10, fewer at the start), `requests` and `failures` are per-second
 * means (Locust's current_rps, current_fail_per_sec), the percentiles those of every response
 * in the window (ms), `count` how many responses that is.
 */
export interface CurrentFigures extends SecondFigures {
  seconds: number;
  count: number;
}

export interface TimeSlice extends SecondFigures {
  /** Seconds since the epoch at the start of the slice. */
  t: number;
  /** Active users/VUs (closed model) or in-flight requests (open model) at the end of the slice. */
  active: number;
  /**
   * Every request up to the end of this slice (Locust's history "Total" columns), ms and bytes;
   * on a swarm, since its last stats reset. The counts and max are there when the series was
   * summarised here (absent in older reports).
   */
  total?: {
    p50: number;
    mean: number;
    min: number;
    avgContentLength: number;
    requests?: number;
    failures?: number;
    max?: number;
  };
  /** A swarm's Locust "current" figures: the last 10 closed seconds (see CurrentFigures). */
  current?: CurrentFigures;
  /**
   * With Locust's --csv-full-history: every (type, name) seen so far (since the last stats
   * reset), sorted by name then type, with this second's figures and its cumulative totals.
   */
  names?: NameSlice[];
}

/** One request (type, name) in one second of the series (TimeSlice.names); zeros when it had none. */
export interface NameSlice extends SecondFigures {
  type: string;
  name: string;
  /** A swarm's Locust "current" figures of this name: its last 10 closed seconds. */
  current?: CurrentFigures;
  /** Up to the end of this second (since the last stats reset): counts, ms, bytes per request. */
  total: {
    requests: number;
    failures: number;
    p50: number;
    mean: number;
    min: number;
    max: number;
    avgContentLength: number;
  };
}

export interface FailureRow {
  method: string;
  name: string;
  error: string;
  occurrences: number;
}

export interface TargetCheck {
  /** e.g. "P95 order latency" */
  name: string;
  /** Human form, e.g. "< 100 ms" */
  target: string;
  /** Measured figure, human form, e.g. "3.2 ms" */
  actual: string;
  /** Measured figure as a number (unit in `unit`). */
  value: number;
  unit: string;
  pass: boolean;
}

export interface GeneratorHealth {
  /** CPU of the generator process (all threads), % of one core. */
  cpuPercent: number;
  /** Event-loop delay of the generator's threads. */
  eventLoopLagMs: { p50: number; p99: number; max: number };
  /** Open model: iterations that could not start on time (k6's dropped_iterations). */
  droppedIterations: number;
  workers: number;
  /** True when the generator itself was the bottleneck (see warnings). */
  saturated: boolean;
  warnings: string[];
}

export interface ResourceSample {
  t: number;
  /** Target process (pid or service name). */
  target: string;
  cpuPercent: number;
  rssBytes: number;
}

export interface ResourceWatch {
  source: 'proc' | 'api' | 'none';
  samples: ResourceSample[];
  /** Per target: the peaks, checked against the published limits (< 2 GB RSS, < 80% CPU). */
  peaks: { target: string; cpuPercent: number; rssBytes: number; pass: boolean }[];
  limits: { rssBytes: number; cpuPercent: number };
}

export interface ScenarioResult {
  scenario: string;
  /** The scenario's heading, e.g. "Order Stress" (absent: derived from the id). */
  title?: string;
  /** The parameters the run used (rate, duration, symbols, ...). */
  params: Record<string, unknown>;
  /** Epoch milliseconds. */
  startedAt: number;
  durationSec: number;
  requests: number;
  failures: number;
  rps: number;
  latency_ms: LatencyMs;
  entries: EntryStats[];
  timeseries: TimeSlice[];
  failureRows: FailureRow[];
  targets: TargetCheck[];
  generator: GeneratorHealth;
  resources?: ResourceWatch;
  /** Scenario-specific figures (ticks sent/processed, messages per client, ...). */
  extra: Record<string, unknown>;
}

/** A worker of a master/worker run that went missing (swarm --master). */
export interface MissingWorker {
  id: string;
  reason: string;
  /** Epoch ms it was reported missing. */
  at: number;
  /** Its users when it went missing (the others took them over). */
  users: number;
  /**
   * run --master: the worker's last part so far (sent every 2 s), merged into the figures in
   * place of its final report: when it was taken (epoch ms) and its requests.
   */
  partial?: { at: number; requests: number };
}

/**
 * run --master: a worker dropped for its silence (no heartbeat: paused, overloaded) whose
 * final report came while the run still went: that report replaced its last snapshot in the
 * figures, and it is not missing.
 */
export interface ReturnedWorker {
  id: string;
  /** Why it was dropped. */
  reason: string;
  /** Epoch ms it was dropped, and its report came. */
  droppedAt: number;
  at: number;
  /** Its report's requests, and its last snapshot's (the figure it replaced), if one came. */
  requests: number;
  snapshotRequests?: number;
}

/** A master/worker run's workers: who joined, who went missing and why. */
export interface WorkersSection {
  expected: number;
  /** Every worker that joined, in order. */
  joined: string[];
  /** Connected at the end. */
  connected: number;
  missing: MissingWorker[];
  /** run --master: workers dropped for their silence whose final report came after all. */
  returned?: ReturnedWorker[];
  /** run --master: each started worker's execution segment and the requests it reported (null: none). */
  segments?: {
    id: string;
    segment: string;
    requests: number | null;
    /** The worker was lost: `requests` are its part up to its last snapshot, taken at `lastSnapshotAt` (epoch ms). */
    partial?: true;
    lastSnapshotAt?: number;
  }[];
}

/** One scenario's script metrics besides its requests: what k6's thresholds read and a master adds. */
/**
 * The parts of setup() and teardown() (k6 gives their samples no scenario): a script section's
 * entries beside the scenarios', with their own requests (`entries`), counted in the run's metrics.
 */
export const LIFECYCLE_PARTS: readonly string[] = ['(setup)', '(teardown)'];

export interface ScriptScenarioMetrics {
  scenario: string;
  /**
   * Sums by key: 'metric:counter:NAME', 'metric:rate:NAME:pass' / ':total' (a Counter, a Rate),
   * 'check:NAME:pass' / ':fail' (check()). Adding two runs' counters is the run that did both.
   * A Gauge's keys, 'gauge:NAME:THREAD:value' / ':min' / ':max' / ':t' (one set per generator
   * thread), merge as a gauge instead (script/gauges.ts: the later value, min, max).
   */
  counters: Record<string, number>;
  /** The script's Trends (µs), encoded like the entries' histograms: adding them is exact. */
  trends: Record<string, EncodedLatency>;
  /** Iterations completed, and dropped (k6's iterations, dropped_iterations). */
  iterations: number;
  dropped: number;
  /**
   * The requests of setup() and teardown() (the parts '(setup)' and '(teardown)': no scenario's,
   * so in no ScenarioResult), as a scenario's entries, histograms encoded (their rates are 0: not
   * computed): k6 counts them in http_reqs, http_req_duration and the rest, so a master and a
   * merge add them in too.
   */
  entries?: EntryStats[];
  /** Their failures (Locust's failure rows: method, name, error, occurrences), with `entries`. */
  failureRows?: FailureRow[];
}

/** A k6-shape threshold of a script (options.thresholds) as checked. */
export interface ScriptThresholdResult {
  /** The key as written, e.g. 'http_req_duration{name:/orders}'. */
  metric: string;
  threshold: string;
  actual: number;
  ok: boolean;
  abortOnFail: boolean;
}

/** A script run's own metrics and its options.thresholds (k6's shape), as checked on this run. */
export interface ScriptMetricsSection {
  /** The script's custom metrics: name -> counter | rate | trend | gauge. */
  declared: Record<string, string>;
  /** The declared Trends that hold plain numbers (k6's `new Trend(name)`), not times in ms. */
  plainTrends?: string[];
  scenarios: ScriptScenarioMetrics[];
  thresholds: ScriptThresholdResult[];
  /**
   * options.thresholds given as the lab's strings (e.g. 'p95<100ms'), as written: checked with
   * the run's other lab thresholds (`thresholds` of the report), carried so a merge re-checks them.
   */
  labThresholds?: string[];
  /** The abortOnFail threshold that stopped the run, 'key: expression'. */
  abortedBy?: string;
  /**
   * run --master: each worker's part as it saw itself (its options.thresholds on its part alone,
   * its exit code). Shown, not deciding: the master's thresholds are the merged whole's.
   */
  parts?: { source: string; exitCode: number; thresholds: ScriptThresholdResult[] }[];
}

/** A whole `tickstorm run` (one or more scenarios) with its gates. */
export interface RunReport {
  tool: 'tickstorm';
  version: string;
  /** Epoch milliseconds. */
  startedAt: number;
  finishedAt: number;
  target: string;
  scenarios: ScenarioResult[];
  thresholds: { expression: string; metric: string; actual: number; pass: boolean }[];
  /** 0 all passed, 99 a threshold or scenario target failed (k6's code). */
  exitCode: number;
  /** Master/worker runs: the workers (swarm --master). */
  workers?: WorkersSection;
  /** A script run: its custom metrics, checks and iterations, and its options.thresholds. */
  script?: ScriptMetricsSection;
}
