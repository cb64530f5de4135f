/**
 * `tickstorm/metrics`: k6's custom metrics.
 *
 *   import { Counter, Gauge, Rate, Trend } from 'tickstorm/metrics';
 *   const orders = new Counter('orders_placed');
 *   const okRate = new Rate('order_ok');
 *   const wait = new Trend('queue_wait');          // values in ms, as k6's
 *   const depth = new Gauge('queue_depth');        // the last value, with min and max
 *   export default async function () { orders.add(1); okRate.add(res.status === 201); wait.add(12.5); depth.add(17); }
 *   wait.add(3.2, { kind: 'cancel' });            // tags: thresholds may name them, 'queue_wait{kind:cancel}'
 *
 * Trends are HdrHistograms (µs resolution, exact across threads), counters and rates are sums,
 * a gauge's threads merge as the value added last (by time), the least min and greatest max.
 * Declare them at load time (top level) so thresholds can name them. A built-in metric's name
 * (http_req_duration, iterations, ...) is refused.
 */

import { setTrendIsTime } from '../monitor/script-figures.ts';
import { addGauge } from './gauges.ts';
import { BUILTIN_METRICS } from './k6-metrics.ts';
import {
  addCounter,
  addRate,
  addTrend,
  counterKey,
  current,
  type IterationStore,
  type MetricKind,
  runtime,
} from './runtime.ts';
import { recordTagged, submetricsOf } from './submetrics.ts';

/** k6's per-sample tags (`add(value, { kind: 'api' })`): matched by thresholds such as `my_trend{kind:api}`. */
type Tags = Readonly<Record<string, string>>;

function tagged(
  s: IterationStore,
  name: string,
  kind: 'counter' | 'rate' | 'trend',
  value: number,
  tags: Tags | undefined,
): void {
  const subs = submetricsOf(name);
  if (subs !== undefined) recordTagged(s, subs, kind, value, (k) => (k === 'group' ? s.group : tags?.[k]));
}

/** A sample's own tags, as k6 streams them: add()'s, and `group` inside a group(). */
function sampleTags(s: IterationStore, tags: Tags | undefined): Record<string, string> | undefined {
  if (tags === undefined && s.group === '') return undefined;
  return s.group === '' ? { ...tags } : { ...tags, group: s.group };
}

abstract class Metric {
  constructor(
    readonly name: string,
    kind: MetricKind,
  ) {
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name))
      throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
    // The lab records its built-in metrics itself: a custom metric of the same name would
    // never be shown (its samples lost without a word), so the name is refused.
    if (Object.hasOwn(BUILTIN_METRICS, name))
      throw new TypeError(
        `'${name}' is a built-in metric (a ${BUILTIN_METRICS[name]}): give the custom metric another name`,
      );
    const known = runtime().metrics.get(name);
    if (known !== undefined && known !== kind) throw new TypeError(`metric '${name}' is already a ${known}`);
    runtime().metrics.set(name, kind);
  }
}

export class Counter extends Metric {
  constructor(name: string) {
    super(name, 'counter');
  }
  /** `value` a number, or a boolean as k6 takes it (true adds 1, false 0: `errors.add(!ok)`). */
  add(value: number | boolean = 1, tags?: Tags): void {
    const n = typeof value === 'boolean' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n))
      throw new TypeError(`Counter ${this.name}: add() takes a number or a boolean`);
    const s = current(`${this.name}.add()`);
    addCounter(s, counterKey.counter(this.name), n, sampleTags(s, tags));
    tagged(s, this.name, 'counter', n, tags);
  }
}

export class Rate extends Metric {
  constructor(name: string) {
    super(name, 'rate');
  }
  add(value: unknown, tags?: Tags): void {
    const s = current(`${this.name}.add()`);
    const pass = value !== false && value !== 0 && value !== null && value !== undefined && value !== '';
    addRate(s, this.name, pass, sampleTags(s, tags));
    tagged(s, this.name, 'rate', pass ? 1 : 0, tags);
  }
}

export class Trend extends Metric {
  /**
   * `isTime` as k6's: true, the values are times in ms (the summary shows `12.50ms`, Prometheus
   * gets `_seconds`); false (k6's default), plain numbers (sizes, counts) shown as they are.
   */
  constructor(name: string, isTime = false) {
    super(name, 'trend');
    setTrendIsTime(name, isTime === true);
  }
  /** A value (ms when the trend holds times), negative ones too, as k6's; kept to 0.001 (µs for times). */
  add(value: number, tags?: Tags): void {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new TypeError(`Trend ${this.name}: add() takes a finite number`);
    const s = current(`${this.name}.add()`);
    addTrend(s, this.name, value, sampleTags(s, tags));
    tagged(s, this.name, 'trend', value, tags);
  }
}

export class Gauge extends Metric {
  constructor(name: string) {
    super(name, 'gauge');
  }
  /** Sets the gauge to `value` (k6's Gauge keeps the last value added, and its min and max). */
  add(value: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new TypeError(`Gauge ${this.name}: add() takes a number`);
    addGauge(current(`${this.name}.add()`), this.name, value);
  }
}

export default { Counter, Gauge, Rate, Trend };
