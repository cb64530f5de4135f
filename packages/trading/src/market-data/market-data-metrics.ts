/**
 * Market-data metrics for the metrics store, written once per interval (default 1 s):
 *
 *   market_data_ticks_per_second          ticks processed per second over the interval
 *   market_data_ticks_processed_total     cumulative processed ticks
 *   market_data_ticks_rejected_total      cumulative rejected ticks
 *   market_data_processing_latency_p99_ms p99 frame processing latency over the interval
 *
 * all labelled `{service:"market-data"}`. The sink is anything with `record(name, value,
 * labels?)` (the DuckDB metrics writer fits); a sink that throws never stops ingest.
 */
import { LatencyHistogram } from '../stats/latency-histogram.ts';

export interface MetricsSink {
  record(name: string, value: number, labels?: Record<string, string>): void;
}

export interface MetricsSource {
  ticksProcessed(): number;
  ticksRejected(): number;
  /** The service's cumulative processing latency. */
  readonly latency: LatencyHistogram;
  /** Times `latency` was reset (POST /stats/reset). */
  latencyResets(): number;
}

/**
 * Percentiles of the values recorded since the previous call, derived from a cumulative
 * recorder by histogram subtraction once per interval (the hot path records only once).
 */
export class IntervalLatency {
  private readonly prev = new LatencyHistogram();
  private readonly diff = new LatencyHistogram();
  private resets = 0;

  constructor(private readonly total: LatencyHistogram) {}

  /** Percentile `p` (0..100) in ms over the interval; `resets` = the source's reset count. */
  next(p: number, resets = 0): number {
    if (resets !== this.resets || this.total.count < this.prev.count) this.prev.reset();
    this.resets = resets;
    const d = this.diff.histogram;
    d.reset();
    d.add(this.total.histogram);
    d.subtract(this.prev.histogram);
    this.prev.reset();
    this.prev.histogram.add(this.total.histogram);
    return this.diff.percentileMs(p);
  }
}

const LABELS: Record<string, string> = Object.freeze({ service: 'market-data' }) as Record<string, string>;

export function startMetricsReporter(
  sink: MetricsSink,
  source: MetricsSource,
  intervalMs = 1000,
  onError: (err: unknown) => void = (err) => process.emitWarning(`market-data metrics: ${String(err)}`),
): () => void {
  let lastProcessed = source.ticksProcessed();
  let lastAt = performance.now();
  let failing = false;
  const interval = new IntervalLatency(source.latency);
  const timer = setInterval(() => {
    const now = performance.now();
    const processed = source.ticksProcessed();
    const seconds = (now - lastAt) / 1000;
    const rate = seconds > 0 ? (processed - lastProcessed) / seconds : 0;
    lastProcessed = processed;
    lastAt = now;
    const p99 = interval.next(99, source.latencyResets());
    try {
      sink.record('market_data_ticks_per_second', rate, LABELS);
      sink.record('market_data_ticks_processed_total', processed, LABELS);
      sink.record('market_data_ticks_rejected_total', source.ticksRejected(), LABELS);
      sink.record('market_data_processing_latency_p99_ms', p99, LABELS);
      failing = false;
    } catch (err) {
      if (!failing) onError(err);
      failing = true;
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
