import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildRunReport, handScenario, orderStress, wsConcurrency } from '@tickstorm/loadlab/testing';
import {
  applyThresholds,
  EXIT_INVALID_CONFIG,
  EXIT_OK,
  EXIT_THRESHOLDS_FAILED,
  evaluateThresholds,
  exitCodeFor,
  gatherThresholds,
  parseThreshold,
  parseThresholds,
  unknownScenarios,
} from '../src/gates/thresholds.ts';

const dir = mkdtempSync(join(tmpdir(), 'loadlab-gates-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function one(expr: string) {
  const r = parseThreshold(expr);
  assert.deepEqual(r.problems, [], expr);
  return r.threshold!;
}

describe('threshold parsing', () => {
  it('reads the k6-style forms, normalising to ms, fractions and per-second', () => {
    assert.deepEqual(
      [
        one('p95<100ms'),
        one('p(95)<100'),
        one('p99<=2s'),
        one('avg<50ms'),
        one('max<1s'),
        one('p50 < 500 us'),
      ].map((t) => [t.metric, t.stat, t.op, t.value]),
      [
        ['p95', 'p95', '<', 100],
        ['p95', 'p95', '<', 100],
        ['p99', 'p99', '<=', 2000],
        ['avg', 'mean', '<', 50],
        ['max', 'max', '<', 1000],
        ['p50', 'p50', '<', 0.5],
      ],
    );
    assert.equal(one('error_rate<1%').value, 0.01);
    assert.equal(one('error_rate<0.02').value, 0.02);
    assert.equal(one('success_rate>99.5%').value, 0.995);
    assert.deepEqual(
      [one('rps>=1000').kind, one('rps>=1000').value, one('rps>=1000').op],
      ['rps', 1000, '>='],
    );
    assert.equal(one('med<=3ms').stat, 'p50');
    assert.equal(one('p(99)<10').stat, 'p99');
    assert.equal(one('failures==0').kind, 'failures');
  });

  it('reads scopes: {scenario:...}, {name:...}, both, quoted values', () => {
    assert.deepEqual(one('p95{scenario:order-stress}<10ms').scope, { scenario: 'order-stress' });
    assert.deepEqual(one('p95{name:POST /orders}<10ms').scope, { name: 'POST /orders' });
    assert.deepEqual(one('p99{scenario:order-stress, name:"GET /book/SYM0,depth=5"} <= 5ms').scope, {
      scenario: 'order-stress',
      name: 'GET /book/SYM0,depth=5',
    });
  });

  it('reports every problem of every expression at once', () => {
    const bad = [
      'p97<100ms',
      'latency<100ms',
      'p95<100parsecs',
      'error_rate<5',
      'rps>=10ms',
      'p95{region:eu}<10ms',
      'p95 100ms',
      'p95{scenario:x<10',
      'requests>1s',
      '<100',
    ];
    const { thresholds, problems } = parseThresholds(['p95<100ms', ...bad]);
    assert.equal(thresholds.length, 1);
    assert.ok(problems.length >= bad.length);
    for (const expr of bad) {
      assert.ok(
        problems.some((p) => p.startsWith(`threshold ${JSON.stringify(expr)}: `)),
        `no problem reported for ${expr}`,
      );
    }
    assert.ok(problems.some((p) => /p\(97\)|unknown metric "p97"/.test(p)));
    assert.ok(problems.some((p) => /unknown time unit "parsecs"/.test(p)));
    assert.ok(problems.some((p) => /outside 0\.\.1/.test(p)));
    assert.ok(problems.some((p) => /unknown tag "region"/.test(p)));
    // Several problems in one expression are all listed.
    const multi = parseThreshold('p97{zone:a}<5parsecs').problems;
    assert.ok(multi.length >= 2, multi.join('; '));
  });

  it('reads a config file and the flags together, with the file problems too', () => {
    const good = join(dir, 'gates.json');
    writeFileSync(good, JSON.stringify({ thresholds: ['p95<100ms', 'error_rate<1%'] }));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ thresholds: ['p95<1ms', 42] }));
    const ok = gatherThresholds(['rps>=10'], [good]);
    assert.deepEqual(ok.problems, []);
    assert.deepEqual(
      ok.thresholds.map((t) => t.expression),
      ['rps>=10', 'p95<100ms', 'error_rate<1%'],
    );
    const notOk = gatherThresholds(['p95<'], [bad, join(dir, 'absent.json')]);
    assert.equal(notOk.problems.length, 3);
    assert.match(notOk.problems.join('\n'), /thresholds\[1\] is not a string/);
    assert.match(notOk.problems.join('\n'), /absent\.json: no such file/);
    assert.match(notOk.problems.join('\n'), /"p95<"/);
  });
});

describe('threshold evaluation and exit codes', () => {
  it('checks each scenario on its own, scoped ones only where they apply', () => {
    const report = buildRunReport([handScenario('order-stress'), wsConcurrency()]);
    const { thresholds } = parseThresholds([
      'p95<20ms',
      'error_rate{scenario:order-stress}<1%',
      'p99{name:POST /orders}<=40ms',
      'rps{scenario:order-stress}>=15',
    ]);
    const results = evaluateThresholds(report, thresholds);
    const summary = results.map((r) => [r.metric, r.pass]);
    assert.deepEqual(summary, [
      ['p95{scenario:order-stress}', false], // 25.6 ms
      ['p95{scenario:ws-concurrency}', true],
      ['error_rate{scenario:order-stress}', false], // 3 / 150 = 2%
      ['p99{scenario:order-stress,name:POST /orders}', true], // 40 <= 40
      ['rps{scenario:order-stress}', true],
    ]);
    assert.equal(results[0].actual, 25.6);
    assert.match(results[0].message, /p95 = 25\.6 ms, wanted < 20 ms \(order-stress\)/);
    assert.equal(results[2].actual, 0.02);
  });

  it('a threshold with no matching data fails rather than passing silently', () => {
    const report = buildRunReport([orderStress()]);
    const { thresholds } = parseThresholds(['p95{name:GET /nothing}<10ms', 'p95{scenario:nope}<10ms']);
    const results = evaluateThresholds(report, thresholds);
    assert.deepEqual(
      results.map((r) => r.pass),
      [false, false],
    );
    assert.match(results[0].message, /no request named "GET \/nothing"/);
    assert.deepEqual(unknownScenarios(thresholds, ['order-stress']), [
      'threshold "p95{scenario:nope}<10ms": no scenario "nope" in this run',
    ]);
  });

  it('exit codes: 0 all pass, 99 threshold or target failed, 104 invalid configuration', () => {
    assert.deepEqual([EXIT_OK, EXIT_THRESHOLDS_FAILED, EXIT_INVALID_CONFIG], [0, 99, 104]);
    const passing = applyThresholds(
      buildRunReport([orderStress()]),
      parseThresholds(['p95<100ms']).thresholds,
    );
    assert.equal(passing.exitCode, 0);
    assert.equal(exitCodeFor(passing), EXIT_OK);
    const failing = applyThresholds(
      buildRunReport([orderStress()]),
      parseThresholds(['p95<0.1ms']).thresholds,
    );
    assert.equal(failing.exitCode, 99);
    const target = buildRunReport([orderStress()]);
    target.scenarios[0].targets[0].pass = false;
    assert.equal(exitCodeFor(target), EXIT_THRESHOLDS_FAILED);
    const parsed = parseThresholds(['p95<100ms', 'bogus']);
    assert.equal(exitCodeFor(passing, { problems: parsed.problems }), EXIT_INVALID_CONFIG);
    const hot = buildRunReport([orderStress()]);
    hot.scenarios[0].resources!.peaks[0].pass = false;
    assert.equal(exitCodeFor(hot), EXIT_OK);
    assert.equal(exitCodeFor(hot, { resources: true }), EXIT_THRESHOLDS_FAILED);
  });
});
