/**
 * `--json FILE`: the RunReport, with a summary at the top level so a single-scenario run reads
 * like a flat result and any run can be gated by a simple `jq`:
 *
 *   { "scenario": "order-stress", "requests": 300000, "failures": 12, "rps": 999.8,
 *     "error_rate": 0.00004, "duration_sec": 300,
 *     "latency_ms": {"p50":..,"p95":..,"p99":..,"max":..,...},
 *     "targets": [{"name","target","actual","pass","value","unit","scenario"}],
 *     "passed": true, "exitCode": 0, "thresholds": [...], "tool", "version", ...,
 *     "scenarios": [ScenarioResult, ...] }
 *
 * With several scenarios the top level is the whole run: scenario "all", requests/failures/rps
 * summed, latency_ms the worst scenario's figure per percentile (latency_basis says which), and
 * targets every scenario's targets, each naming its scenario. A script's setup()'s and
 * teardown()'s requests (report.script's parts '(setup)' and '(teardown)', merged by a master
 * or `tickstorm merge`) count in the top level's figures, as k6's http_reqs counts them; with
 * several scenarios as parts of their own beside them. `scenarios` stays the scenarios'.
 */
import { writeFileSync } from 'node:fs';
import type { LatencyMs, RunReport, TargetCheck } from '../model/result.ts';
import { epochSec } from './format.ts';
import { resultsWithLifecycle } from './lifecycle-rows.ts';

export interface JsonTarget extends TargetCheck {
  scenario: string;
}

export interface JsonReport extends Omit<RunReport, 'scenarios'> {
  scenario: string;
  requests: number;
  failures: number;
  rps: number;
  error_rate: number;
  duration_sec: number;
  latency_ms: LatencyMs;
  latency_basis: 'scenario' | 'worst-scenario';
  targets: JsonTarget[];
  passed: boolean;
  scenarios: RunReport['scenarios'];
}

const KEYS: (keyof LatencyMs)[] = ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'];

export function toJsonReport(report: RunReport): JsonReport {
  // a script's setup()/teardown() requests count in the totals (k6's http_reqs), in no scenario
  const ss = resultsWithLifecycle(report);
  const single = ss.length === 1 ? ss[0] : undefined;
  const requests = ss.reduce((a, s) => a + s.requests, 0);
  const failures = ss.reduce((a, s) => a + s.failures, 0);
  const latency = {} as LatencyMs;
  for (const k of KEYS) {
    // the worst scenario's (setup()'s one request is no scenario's percentile)
    const vals = report.scenarios.filter((s) => s.requests > 0).map((s) => s.latency_ms[k]);
    latency[k] = vals.length === 0 ? 0 : k === 'min' ? Math.min(...vals) : Math.max(...vals);
  }
  const targets = report.scenarios.flatMap((s) => s.targets.map((t) => ({ ...t, scenario: s.scenario })));
  const { scenarios: _omit, ...rest } = report;
  return {
    scenario: single?.scenario ?? 'all',
    requests,
    failures,
    rps: ss.reduce((a, s) => a + s.rps, 0),
    error_rate: requests > 0 ? failures / requests : 0,
    duration_sec: single?.durationSec ?? epochSec(report.finishedAt) - epochSec(report.startedAt),
    latency_ms: single?.latency_ms ?? latency,
    latency_basis: single === undefined ? 'worst-scenario' : 'scenario',
    targets,
    passed: report.exitCode === 0,
    ...rest,
    scenarios: report.scenarios,
  };
}

export function writeJsonReport(path: string, report: RunReport): void {
  writeFileSync(path, `${JSON.stringify(toJsonReport(report), null, 2)}\n`);
}
