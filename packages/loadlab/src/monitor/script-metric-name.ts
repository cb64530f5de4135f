/**
 * The `<name>` of a script metric's `loadlab_script_<name>...` family: the metric's name in
 * Prometheus' charset, spelt so that `promtool check metrics` has nothing to say of it.
 *
 * - every character outside [A-Za-z0-9_] becomes '_' (`orders.placed`: `orders_placed`);
 * - a camelCase name is written in snake_case (`orderLatency`: `order_latency`);
 * - a word naming a metric type (`counter`, `gauge`, `histogram`, `summary`, which promtool
 *   refuses in a name) is made plural (k6's `my_counter`: `my_counters`, `my_gauge`:
 *   `my_gauges`), so that it neither names the type nor merges with another metric's name;
 * - a Trend of times (`isTime`, its values in ms, exported in seconds) loses a time unit at
 *   its end (`_ms`, `_milliseconds`, `_s`, `_sec`, `_seconds`, ...): `order_ack_ms` is
 *   `order_ack`, exported as `loadlab_script_order_ack_seconds`.
 *
 * Two names that differ only in what is rewritten share the series.
 */
import { metricNamePart } from './prom-text.ts';

const TYPE_PLURALS: Readonly<Record<string, string>> = {
  counter: 'counters',
  gauge: 'gauges',
  histogram: 'histograms',
  summary: 'summaries',
};

const TIME_UNIT_END = /_(?:ms|msec|millis|milliseconds|s|sec|secs|seconds|us|microseconds|ns|nanoseconds)$/i;

export function scriptMetricName(name: string, opts: { time?: boolean } = {}): string {
  let part = metricNamePart(name);
  if (/[a-z][A-Z]/.test(part)) part = part.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  if (opts.time === true) part = part.replace(TIME_UNIT_END, '');
  return part
    .split('_')
    .map((w) => TYPE_PLURALS[w] ?? w)
    .join('_');
}
