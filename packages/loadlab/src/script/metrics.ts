/**
 * `tickstorm/metrics`: k6's custom metrics.
 *
 *   import { Counter, Gauge, Rate, Trend } from 'tickstorm/metrics';
 *   const orders = new Counter('orders_placed');
 *   const okRate = new Rate('order_ok');
 *   const wait = new Trend('queue_wait');          // values in ms, as k6's
 *   const depth = new Gauge('queue_depth');        // the last value, with min and max
 *   export default async function () { orders.add(1); okRate.add(res.status === 201); wait.add(12.5); depth.add(17); }
 *
 * Trends are HdrHistograms (µs resolution, exact across threads), counters and rates are sums,
 * a gauge's threads merge as the value added last (by time), the least min and greatest max.
 * Declare them at load time (top level) so thresholds can name them.
 */
import { addGauge } from './gauges.ts';
import { addCounter, addRate, addTrend, counterKey, current, type MetricKind, runtime } from './runtime.ts';

abstract class Metric {
  constructor(
    readonly name: string,
    kind: MetricKind,
  ) {
    if (typeof name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name))
      throw new TypeError(`invalid metric name ${JSON.stringify(name)}`);
    const known = runtime().metrics.get(name);
    if (known !== undefined && known !== kind) throw new TypeError(`metric '${name}' is already a ${known}`);
    runtime().metrics.set(name, kind);
  }
}

export class Counter extends Metric {
  constructor(name: string) {
    super(name, 'counter');
  }
  add(value = 1): void {
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new TypeError(`Counter ${this.name}: add() takes a number`);
    addCounter(current(`${this.name}.add()`), counterKey.counter(this.name), value);
  }
}

export class Rate extends Metric {
  constructor(name: string) {
    super(name, 'rate');
  }
  add(value: unknown): void {
    addRate(
      current(`${this.name}.add()`),
      this.name,
      value !== false && value !== 0 && value !== null && value !== undefined && value !== '',
    );
  }
}

export class Trend extends Metric {
  constructor(name: string) {
    super(name, 'trend');
  }
  /** A value in ms (k6's unit for time trends); kept at µs resolution. */
  add(value: number): void {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new TypeError(`Trend ${this.name}: add() takes a number >= 0`);
    addTrend(current(`${this.name}.add()`), this.name, value);
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
