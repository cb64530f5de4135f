/**
 * A script run's k6-style figures for Prometheus, from the counters each second carries
 * (stats/slice-detail.ts; keys as script/runtime.ts's counterKey and trend:*), summed since
 * the start:
 *
 *   loadlab_checks_total{scenario,check,result="pass"|"fail"}   check() results
 *   loadlab_script_<name>_total{scenario}                      a Counter's sum
 *   loadlab_script_<name>_total{scenario,result="pass"|"fail"} a Rate's samples (true / false)
 *   loadlab_script_<name>_seconds{scenario}                    a Trend of times (`new Trend(name, true)`:
 *                                                              values in ms), a histogram with the
 *                                                              request-duration buckets; a time
 *                                                              unit ending the name is dropped
 *                                                              (`wait_ms`: ..._wait_seconds)
 *   loadlab_script_<name>{scenario}                            a Trend of plain numbers (k6's
 *                                                              default, no isTime): the same
 *                                                              histogram, values and buckets as
 *                                                              given (the seconds' buckets x 1000)
 *   loadlab_script_<name>{scenario}                            a Gauge's last value (its threads'
 *                                                              states merged as stats/gauge-counters.ts
 *                                                              does: the value added last); `_value`
 *                                                              added to a name another type's
 *                                                              (gaugeFamily)
 *
 *   loadlab_script_vus{scenario}, loadlab_script_vus_max{scenario}   k6's vus and vus_max: the
 *                                                              scenario's VUs active at its last
 *                                                              sample (0 once it ended) and its
 *                                                              VUs initialised, from the run's
 *                                                              start to its end (script/vus-series.ts,
 *                                                              script/vus-plan.ts)
 *
 * (k6's built-in `checks` rate is not repeated: it is loadlab_checks_total summed over checks;
 * nor are the thresholds' submetrics, `http_req_duration{status:200}`: copies of samples.)
 * `<name>` is the metric's name in Prometheus' charset and promtool's spelling
 * (script-metric-name.ts: `orders.placed` is orders_placed, `orderLatency` order_latency,
 * `my_counter` my_counters; two names that differ only there share one series). A scenario's first MAX_CHECK_NAMES
 * check names have their own series; any later name is added under check="(other)", so a
 * script naming checks by ID cannot grow the series without bound.
 *
 * A Gauge's keys (`gauge:<name>:<thread>:value|min|max|t`) arrive as each second's change, like
 * every counter: summed since the start they are the thread's state again.
 */

import { parseCheckId } from '../stats/check-id.ts';
import { gaugesFromCounters } from '../stats/gauge-counters.ts';
import { isNegTrend, NEG_TREND } from '../stats/signed-trend.ts';
import { BUCKET_COUNT, bucketOfIndex, DURATION_BUCKETS_S } from '../stats/slice-detail.ts';
import { OTHER_NAMES } from './duration-histograms.ts';
import type { Exposition } from './prom-text.ts';
import { scriptMetricName } from './script-metric-name.ts';

/**
 * The script's Trends declared without k6's `isTime` (`new Trend(name)`, k6's default): their
 * values are plain numbers, not ms. Filled by the Trend constructor of the script loaded in this
 * thread; a name never declared here (the built-in trends, a merged report's) is a time.
 */
const plainTrends = new Set<string>();

/** Records whether Trend `name` holds times (k6's `new Trend(name, true)`) or plain numbers. */
export function setTrendIsTime(name: string, isTime: boolean): void {
  if (isTime) plainTrends.delete(name);
  else plainTrends.add(name);
}

/** Whether the trend `name` (a submetric's `name{tag:v}` too) holds times in ms. */
export function trendIsTime(name: string): boolean {
  const cut = name.indexOf('{');
  return !plainTrends.has(cut < 0 ? name : name.slice(0, cut));
}

/** The histogram buckets of a plain Trend: its values are stored as if ms, so seconds x 1000. */
const PLAIN_BUCKETS = DURATION_BUCKETS_S.map((s) => Math.round(s * 1e6) / 1e3);

/** Check names a scenario keeps apart in loadlab_checks_total; the rest under check="(other)". */
export const MAX_CHECK_NAMES = 100;

// `s`: a check's name may hold a newline (it is a label value, escaped in the text)
const CHECK = /^check:(.*):(pass|fail)$/s;
const COUNTER = /^metric:counter:(.*)$/;
const RATE = /^metric:rate:(.*):(pass|total)$/;
const TREND = /^trend:(.*):(sum|\d+)$/;
const GAUGE = /^gauge:/;
const VUS = /^(vus|vus_max):(?:d|end):\d+$/;
/** A threshold's submetric sink (script/submetrics.ts subName): a copy of samples, not a metric. */
const SUBMETRIC = /^(?:metric:(?:counter|rate):|trend:)sub:/;

export class ScriptFigures {
  /** scenario -> counter key -> sum since the start. */
  private readonly sums = new Map<string, Map<string, number>>();

  add(scenario: string, counters: Readonly<Record<string, number>>): void {
    let m = this.sums.get(scenario);
    for (const [k, v] of Object.entries(counters)) {
      if (
        !(
          CHECK.test(k) ||
          COUNTER.test(k) ||
          RATE.test(k) ||
          TREND.test(k) ||
          GAUGE.test(k) ||
          VUS.test(k)
        ) ||
        SUBMETRIC.test(k)
      )
        continue;
      if (m === undefined) {
        m = new Map();
        this.sums.set(scenario, m);
      }
      m.set(k, (m.get(k) ?? 0) + v);
    }
  }

  render(out: Exposition): void {
    const checkHelp = 'check() results of the script';
    /** `scenario\0check` -> the check's passes and fails (in first-seen order). */
    const checks = new Map<string, { scenario: string; check: string; pass: number; fail: number }>();
    const rates = new Map<string, { scenario: string; name: string; pass: number; total: number }>();
    const trends = new Map<
      string,
      { scenario: string; name: string; buckets: Float64Array; sumUs: number }
    >();
    for (const [scenario, m] of this.sums) {
      const seenChecks = new Set<string>();
      for (const [k, v] of m) {
        let g = CHECK.exec(k);
        if (g !== null) {
          if (!seenChecks.has(g[1])) {
            seenChecks.add(g[1]);
            // the check's name (a group's check of the same name adds to it, as its `check` tag would)
            const check = seenChecks.size <= MAX_CHECK_NAMES ? parseCheckId(g[1]).name : OTHER_NAMES;
            const key = `${scenario}\u0000${check}`;
            const c = checks.get(key) ?? { scenario, check, pass: 0, fail: 0 };
            c.pass += m.get(`check:${g[1]}:pass`) ?? 0;
            c.fail += m.get(`check:${g[1]}:fail`) ?? 0;
            checks.set(key, c);
          }
          continue;
        }
        g = COUNTER.exec(k);
        if (g !== null) {
          out.sample(
            `loadlab_script_${scriptMetricName(g[1])}_total`,
            'counter',
            `Counter ${g[1]} of the script`,
            [['scenario', scenario]],
            v,
          );
          continue;
        }
        g = RATE.exec(k);
        // k6's built-in `checks` rate is loadlab_checks_total summed over the checks
        if (g !== null && g[1] !== 'checks') {
          const key = `${scenario}\u0000${g[1]}`;
          const r = rates.get(key) ?? { scenario, name: g[1], pass: 0, total: 0 };
          if (g[2] === 'pass') r.pass += v;
          else r.total += v;
          rates.set(key, r);
          continue;
        }
        g = TREND.exec(k);
        if (g !== null) {
          // a trend's negative samples (their magnitudes, stats/signed-trend.ts) are each
          // at or below every bucket's bound: the first bucket; they take their sum off
          const neg = isNegTrend(g[1]);
          const name = neg ? g[1].slice(0, -NEG_TREND.length) : g[1];
          const key = `${scenario}\u0000${name}`;
          let t = trends.get(key);
          if (t === undefined) {
            t = { scenario, name, buckets: new Float64Array(BUCKET_COUNT), sumUs: 0 };
            trends.set(key, t);
          }
          if (g[2] === 'sum') t.sumUs += neg ? -v : v;
          else t.buckets[neg ? 0 : bucketOfIndex(Number(g[2]))] += v;
        }
      }
    }
    if (checks.size > 0) out.declare('loadlab_checks_total', 'counter', checkHelp);
    for (const { scenario, check, pass, fail } of checks.values())
      for (const [result, v] of [
        ['pass', pass],
        ['fail', fail],
      ] as const)
        out.sample(
          'loadlab_checks_total',
          'counter',
          checkHelp,
          [
            ['scenario', scenario],
            ['check', check],
            ['result', result],
          ],
          v,
        );
    for (const r of rates.values()) {
      const name = `loadlab_script_${scriptMetricName(r.name)}_total`;
      const help = `Rate ${r.name} of the script: samples by result (true: pass)`;
      for (const [result, v] of [
        ['pass', r.pass],
        ['fail', r.total - r.pass],
      ] as const)
        out.sample(
          name,
          'counter',
          help,
          [
            ['scenario', r.scenario],
            ['result', result],
          ],
          v,
        );
    }
    for (const t of trends.values())
      if (trendIsTime(t.name))
        out.histogram(
          `loadlab_script_${scriptMetricName(t.name, { time: true })}_seconds`,
          `Trend ${t.name} of the script (a time: its values as ms)`,
          DURATION_BUCKETS_S,
          { labels: [['scenario', t.scenario]], buckets: t.buckets, sum: t.sumUs / 1e6 },
        );
      else
        out.histogram(
          `loadlab_script_${scriptMetricName(t.name)}`,
          `Trend ${t.name} of the script (plain values: declared without isTime)`,
          PLAIN_BUCKETS,
          { labels: [['scenario', t.scenario]], buckets: t.buckets, sum: t.sumUs / 1e3 },
        );
    // k6's vus and vus_max: a scenario's changes summed since the start are its value now
    for (const [scenario, m] of this.sums) {
      const now = { vus: 0, vus_max: 0, seen: false };
      for (const [k, v] of m) {
        const g = VUS.exec(k);
        if (g === null) continue;
        now[g[1] as 'vus' | 'vus_max'] += v;
        now.seen = true;
      }
      if (!now.seen) continue;
      out.sample(
        'loadlab_script_vus',
        'gauge',
        "k6's vus: the VUs active",
        [['scenario', scenario]],
        now.vus,
      );
      out.sample(
        'loadlab_script_vus_max',
        'gauge',
        "k6's vus_max: the VUs allocated",
        [['scenario', scenario]],
        now.vus_max,
      );
    }
    // after the other families, so that a gauge never joins one of them (gaugeFamily)
    const others = new Set(out.names());
    for (const [scenario, m] of this.sums)
      for (const [name, g] of gaugesFromCounters(Object.fromEntries(m)))
        out.sample(
          gaugeFamily(name, others),
          'gauge',
          `Gauge ${name} of the script: the value added last`,
          [['scenario', scenario]],
          g.value,
        );
  }
}

/**
 * A Gauge's family: `loadlab_script_<name>`, with `_value` added when that name reads as
 * another type's series (a counter's `_total`, a histogram's `_bucket`, `_sum`, `_count`) or
 * is already another metric's (Counter `open` and Gauge `open_total`, Trend `wait` and Gauge
 * `wait_seconds`): the gauge's value is never added into a counter, nor typed as a histogram.
 */
function gaugeFamily(name: string, taken: ReadonlySet<string>): string {
  const family = `loadlab_script_${scriptMetricName(name)}`;
  return /_(total|bucket|sum|count)$/.test(family) || taken.has(family) ? `${family}_value` : family;
}
