import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRunReport, dbThroughput, orderStress } from '@tickstorm/loadlab/testing';
import { applyThresholds, parseThresholds } from '../src/gates/thresholds.ts';
import { toJUnitXml } from '../src/report/junit.ts';
import { checkWellFormedXml } from './support/xml.ts';

function failingRun() {
  const orders = orderStress();
  orders.targets.push({
    name: 'Orders/sec',
    target: '>= 1,000/s',
    actual: '300/s',
    value: 300,
    unit: '/s',
    pass: false,
  });
  const report = buildRunReport([orders, dbThroughput()]);
  const { thresholds, problems } = parseThresholds([
    'p95<1ms',
    'error_rate{scenario:order-stress}<1%',
    'p99{name:POST /orders [limit]}<1000ms',
  ]);
  assert.deepEqual(problems, []);
  return applyThresholds(report, thresholds);
}

describe('JUnit XML', () => {
  it('is well-formed: one testsuite per scenario, a testcase per target and per threshold', () => {
    const report = failingRun();
    const xml = toJUnitXml(report);
    const names = checkWellFormedXml(xml);
    assert.equal(names[0], 'testsuites');
    assert.equal(names.filter((n) => n === 'testsuite').length, 2);
    const orderCases = 2 + 3; // two targets; p95 and error_rate and the name-scoped p99
    const dbCases = 1 + 1; // one target; p95
    assert.equal(names.filter((n) => n === 'testcase').length, orderCases + dbCases);
    assert.match(xml, /<testsuite name="order-stress" tests="5" failures="2"/);
    assert.match(xml, /<testsuite name="db-throughput" tests="2" failures="1"/);
    assert.match(xml, /<testsuites name="tickstorm" tests="7" failures="3"/);
  });

  it('failed targets and thresholds carry a <failure> with the message, escaped', () => {
    const xml = toJUnitXml(failingRun());
    assert.match(
      xml,
      /<testcase classname="tickstorm\.order-stress\.targets" name="Orders\/sec &gt;= 1,000\/s" time="0">\n\s+<failure type="target" message="Orders\/sec: 300\/s, target &gt;= 1,000\/s">/,
    );
    assert.match(
      xml,
      /name="threshold p95&lt;1ms"[^>]*>\n\s+<failure type="threshold" message="p95 = [\d.]+ ms, wanted &lt; 1 ms \(order-stress\)"/,
    );
    assert.match(xml, /name="P95 order latency &lt; 100 ms" time="0"\/>/, 'a passing target has no failure');
  });

  it('thresholds that name no scenario of the run go to a "thresholds" suite', () => {
    const report = buildRunReport([orderStress()]);
    report.thresholds = [{ expression: 'rps>=10', metric: 'rps', actual: 5, pass: false }];
    const xml = toJUnitXml(report);
    checkWellFormedXml(xml);
    assert.match(xml, /<testsuite name="thresholds" tests="1" failures="1"/);
  });

  it("a script's options.thresholds (k6's shape) are test cases: a {scenario:X} key in X's suite", () => {
    const report = buildRunReport([orderStress()]);
    report.script = {
      declared: { things: 'counter' },
      scenarios: [],
      thresholds: [
        {
          metric: 'http_req_duration{scenario:order-stress}',
          threshold: 'p(95)<200',
          actual: 250.5,
          ok: false,
          abortOnFail: false,
        },
        { metric: 'things', threshold: 'count>=3', actual: 3, ok: true, abortOnFail: true },
      ],
    };
    const xml = toJUnitXml(report);
    checkWellFormedXml(xml);
    assert.match(
      xml,
      /<testcase classname="tickstorm\.order-stress\.thresholds" name="threshold http_req_duration\{scenario:order-stress\}: p\(95\)&lt;200" time="0">\n\s+<failure type="threshold" message="http_req_duration\{scenario:order-stress\}: p\(95\)&lt;200 not met \(actual 250\.5\)">/,
    );
    assert.match(xml, /<testsuite name="thresholds" tests="1" failures="0"/);
    assert.match(xml, /name="threshold things: count&gt;=3" time="0"\/>/);
  });
});
