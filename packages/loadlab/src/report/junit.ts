/**
 * `--junit FILE`: JUnit XML for CI test reporters. One <testsuite> per scenario, one <testcase>
 * per scenario target and per threshold result (a threshold result belongs to the scenario it
 * was checked on; results that name none go to a "thresholds" suite). A missed target or
 * threshold carries a <failure> with the message. A script's options.thresholds (k6's shape,
 * `report.script.thresholds`) are test cases too, named `threshold METRIC: EXPRESSION` (e.g.
 * `threshold http_req_duration{scenario:browse}: p(95)<200`): in the scenario's suite when
 * the key names one, else in the "thresholds" suite.
 */
import { writeFileSync } from 'node:fs';
import type { RunReport, ScriptThresholdResult } from '../model/result.ts';
import { epochSec } from './format.ts';

type ThresholdRow = RunReport['thresholds'][number] & { scenario?: string; message?: string };

interface Case {
  classname: string;
  name: string;
  failure?: { type: string; message: string };
}

export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const attr = (name: string, v: string | number) => ` ${name}="${xmlEscape(String(v))}"`;

function thresholdScenario(t: ThresholdRow): string | undefined {
  return t.scenario || /\{scenario:([^,}]+)/.exec(t.metric)?.[1];
}

function thresholdCase(suite: string, t: ThresholdRow): Case {
  const k6 = (t as { k6?: boolean }).k6 === true;
  const name = `threshold ${t.expression}${!k6 && t.metric.includes('name:') ? ` [${t.metric}]` : ''}`;
  const c: Case = { classname: `tickstorm.${suite}.thresholds`, name };
  if (!t.pass) c.failure = { type: 'threshold', message: t.message ?? `${t.metric} = ${t.actual}` };
  return c;
}

/** A script's options.thresholds row (k6's shape) as the lab's threshold row. */
function k6Row(t: ScriptThresholdResult): ThresholdRow & { k6: true } {
  const actual = Math.round(t.actual * 1e4) / 1e4;
  return {
    expression: `${t.metric}: ${t.threshold}`,
    metric: t.metric,
    actual: t.actual,
    pass: t.ok,
    message: `${t.metric}: ${t.threshold} not met (actual ${actual})${t.abortOnFail ? ' [abortOnFail]' : ''}`,
    k6: true,
  };
}

function suiteXml(
  name: string,
  cases: Case[],
  time: number,
  timestamp: number,
  props: [string, string | number][],
): string {
  const failures = cases.filter((c) => c.failure !== undefined).length;
  const lines = [
    `  <testsuite${attr('name', name)}${attr('tests', cases.length)}${attr('failures', failures)}${attr('errors', 0)}${attr('skipped', 0)}${attr('time', time.toFixed(3))}${attr('timestamp', new Date(epochSec(timestamp) * 1000).toISOString())}>`,
  ];
  if (props.length > 0) {
    lines.push('    <properties>');
    for (const [k, v] of props) lines.push(`      <property${attr('name', k)}${attr('value', v)}/>`);
    lines.push('    </properties>');
  }
  for (const c of cases) {
    const open = `    <testcase${attr('classname', c.classname)}${attr('name', c.name)}${attr('time', '0')}`;
    if (c.failure === undefined) lines.push(`${open}/>`);
    else {
      lines.push(`${open}>`);
      lines.push(
        `      <failure${attr('type', c.failure.type)}${attr('message', c.failure.message)}>${xmlEscape(c.failure.message)}</failure>`,
      );
      lines.push('    </testcase>');
    }
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

export function toJUnitXml(report: RunReport): string {
  const suites: {
    name: string;
    cases: Case[];
    time: number;
    ts: number;
    props: [string, string | number][];
  }[] = [];
  const thresholds: ThresholdRow[] = [
    ...(report.script?.thresholds ?? []).map(k6Row),
    ...(report.thresholds as ThresholdRow[]),
  ];
  for (const s of report.scenarios) {
    const cases: Case[] = s.targets.map((t) => {
      const c: Case = { classname: `tickstorm.${s.scenario}.targets`, name: `${t.name} ${t.target}` };
      if (!t.pass) c.failure = { type: 'target', message: `${t.name}: ${t.actual}, target ${t.target}` };
      return c;
    });
    for (const t of thresholds)
      if (thresholdScenario(t) === s.scenario) cases.push(thresholdCase(s.scenario, t));
    suites.push({
      name: s.scenario,
      cases,
      time: s.durationSec,
      ts: s.startedAt,
      props: [
        ['requests', s.requests],
        ['failures', s.failures],
        ['rps', +s.rps.toFixed(3)],
        ['p95_ms', +s.latency_ms.p95.toFixed(3)],
        ['p99_ms', +s.latency_ms.p99.toFixed(3)],
      ],
    });
  }
  const ids = new Set(report.scenarios.map((s) => s.scenario));
  const orphans = thresholds.filter((t) => !ids.has(thresholdScenario(t) ?? ''));
  if (orphans.length > 0) {
    suites.push({
      name: 'thresholds',
      cases: orphans.map((t) => thresholdCase('run', t)),
      time: 0,
      ts: report.startedAt,
      props: [],
    });
  }
  const tests = suites.reduce((a, s) => a + s.cases.length, 0);
  const failures = suites.reduce((a, s) => a + s.cases.filter((c) => c.failure !== undefined).length, 0);
  const time = Math.max(0, epochSec(report.finishedAt) - epochSec(report.startedAt));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attr('name', 'tickstorm')}${attr('tests', tests)}${attr('failures', failures)}${attr('errors', 0)}${attr('time', time.toFixed(3))}>`,
    ...suites.map((s) => suiteXml(s.name, s.cases, s.time, s.ts, s.props)),
    '</testsuites>',
    '',
  ].join('\n');
}

export function writeJUnit(path: string, report: RunReport): void {
  writeFileSync(path, toJUnitXml(report));
}
