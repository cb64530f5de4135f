/**
 * `tickstorm run` validation: every problem at once, each naming its flag; flags routed to the
 * scenarios declaring them; defaults < --full < --config < flags; URLs derived from --target.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { coerceParam, paramFlagHelp, paramFlagUnion, planRun } from '@tickstorm/loadlab';
import { buildTargetUrls, createTickstormSuite, neededServices, tickstormRunInput } from '../src/index.ts';
import { PROBES } from './support/probe-scenarios.ts';

const SUITE = createTickstormSuite({ scenarios: PROBES, bench: async () => [] });

test('every problem is reported at once, each naming its flag', () => {
  const { plan, problems } = planRun(
    SUITE,
    tickstormRunInput({
      scenarios: ['order-stres', 'db-throughput'],
      target: 'http://x',
      workers: '0',
      thresholds: ['p95<', 'p95{scenario:ws-concurrency}<1ms', 'latency<1ms'],
      params: new Map<string, unknown>([
        ['rate', 'abc'],
        ['batch-size', '1.5'],
        ['p95-target-ms', '5'],
      ]),
      unknownOptions: ['--durration'],
      knownFlags: ['duration', 'rate', 'batch-size'],
      watchPids: ['nope'],
    }),
  );
  assert.equal(plan, undefined);
  const expected = [
    /unknown option '--durration' \(did you mean --duration\?\)/,
    /unknown scenario 'order-stres' \(did you mean 'order-stress'\?\)/,
    /--target must be a host name/,
    /--workers must be a positive integer or auto \(got '0'\)/,
    /--rate must be a number \(got "abc"\)/,
    /--batch-size must be a whole number/,
    /--p95-target-ms applies to order-stress, which this run does not include/,
    /threshold "p95<": cannot read/,
    /threshold "p95\{scenario:ws-concurrency\}<1ms": no scenario "ws-concurrency" in this run/,
    /threshold "latency<1ms": unknown metric/,
    /--watch-pid must be a process id \(got 'nope'\)/,
  ];
  for (const re of expected)
    assert.ok(
      problems.some((p) => re.test(p)),
      `${re} in\n${problems.join('\n')}`,
    );
  assert.equal(problems.length, expected.length, problems.join('\n'));
});

test("a scenario's own validate() problems are reported with its id; a shared flag reaches both", () => {
  const { problems } = planRun(
    SUITE,
    tickstormRunInput({ scenarios: ['all'], params: new Map([['rate', '-5']]) }),
  );
  assert.deepEqual(problems, [
    'order-stress: --rate must be a positive number (got -5)',
    'db-throughput: --rate must be a positive number (got -5)',
  ]);
});

test('defaults < --full < --config < flags; all runs in the standard order with bench on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-plan-'));
  try {
    const config = join(dir, 'c.json');
    writeFileSync(
      config,
      JSON.stringify({
        thresholds: ['error_rate<1%'],
        params: { 'db-throughput': { 'batch-size': 500, duration: '3s' }, 'order-stress': { rate: 70 } },
      }),
    );
    const { plan, problems } = planRun(
      SUITE,
      tickstormRunInput({
        scenarios: ['db-throughput,order-stress'],
        full: true,
        config,
        params: new Map([['duration', '2']]),
        thresholds: ['p95<100ms'],
        workers: '2',
      }),
    );
    assert.deepEqual(problems, []);
    assert.ok(plan !== undefined);
    assert.deepEqual(
      plan.scenarios.map((s) => [s.def.id, s.params]),
      [
        ['order-stress', { duration: '2s', rate: 70, p95TargetMs: 100 }],
        ['db-throughput', { duration: '2s', rate: 1000, batchSize: 500, batchP95TargetMs: 50 }],
      ],
    );
    assert.deepEqual(
      plan.thresholds.map((t) => t.expression),
      ['p95<100ms', 'error_rate<1%'],
    );
    assert.equal(plan.workers, 2);
    assert.equal(plan.prelude, false, 'bench defaults off unless all');
    assert.deepEqual(plan.watch, [
      { kind: 'api', url: 'http://127.0.0.1:8000/api/metrics/system', label: 'target' },
    ]);
    const all = planRun(SUITE, tickstormRunInput({ scenarios: ['all'], watch: false }));
    assert.equal(all.plan?.prelude, true);
    assert.deepEqual(all.plan?.watch, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a master's preset parameters: over the defaults, under flags, checked; the segment rides along", () => {
  const preset = {
    source: "the master's test",
    params: { 'order-stress': { rate: 500, duration: '4s', p95TargetMs: 50 } },
  };
  const { plan, problems } = planRun(SUITE, {
    ...tickstormRunInput({ scenarios: ['order-stress'], params: new Map([['duration', '2']]) }),
    preset,
    segment: { index: 1, count: 2 },
  });
  assert.deepEqual(problems, []);
  assert.deepEqual(plan?.scenarios[0].params, { duration: '2s', rate: 500, p95TargetMs: 50 });
  assert.deepEqual(plan?.segment, { index: 1, count: 2 });
  const bad = planRun(SUITE, {
    ...tickstormRunInput({ scenarios: ['order-stress'] }),
    preset: { source: "the master's test", params: { 'order-stress': { rate: 'x', speed: 1 } } },
  });
  assert.deepEqual(bad.problems, [
    'the master\'s test: order-stress.rate must be a number (got "x")',
    "the master's test: order-stress.speed: order-stress has no parameter 'speed' here",
  ]);
});

test('config file problems name the file and the key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-plan-'));
  try {
    const config = join(dir, 'c.json');
    writeFileSync(
      config,
      JSON.stringify({ thresholds: [5], params: { nope: {}, 'order-stress': { speed: 1 } }, x: 1 }),
    );
    const { problems } = planRun(SUITE, tickstormRunInput({ scenarios: ['order-stress'], config }));
    assert.deepEqual(problems.sort(), [
      `--config ${config}: params["nope"]: no such scenario (use order-stress, db-throughput)`,
      `--config ${config}: params["order-stress"].speed: order-stress has no parameter 'speed'`,
      `--config ${config}: thresholds[0] is not a string`,
      `--config ${config}: unknown key "x" (use thresholds, params)`,
    ]);
    const missing = planRun(
      SUITE,
      tickstormRunInput({ scenarios: ['order-stress'], config: join(dir, 'none.json') }),
    );
    assert.deepEqual(missing.problems, [`--config ${join(dir, 'none.json')}: no such file`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('target URLs: defaults from --target, per-service overrides in http or ws form', () => {
  assert.deepEqual(buildTargetUrls({ target: '10.0.0.5' }).urls, {
    marketDataWs: 'ws://10.0.0.5:5001/stream',
    marketDataHttp: 'http://10.0.0.5:5001',
    orders: 'http://10.0.0.5:5002',
    risk: 'http://10.0.0.5:5003',
    api: 'http://10.0.0.5:8000',
    apiWs: 'ws://10.0.0.5:8000/ws/metrics',
  });
  const { urls, problems } = buildTargetUrls({
    target: '::1',
    marketDataUrl: 'ws://md:7001/feed',
    apiUrl: 'http://api:9000/',
    ordersUrl: 'ftp://x',
    riskUrl: 'nonsense',
  });
  assert.equal(urls.marketDataWs, 'ws://md:7001/feed');
  assert.equal(urls.marketDataHttp, 'http://md:7001');
  assert.equal(urls.api, 'http://api:9000');
  assert.equal(urls.apiWs, 'ws://api:9000/ws/metrics');
  assert.deepEqual(problems, [
    "--orders-url must use http:// or https:// (got 'ftp://x')",
    "--risk-url must be an absolute URL like http://127.0.0.1:8000 (got 'nonsense')",
  ]);
  assert.deepEqual(neededServices(['order-stress', 'db-throughput']), ['orders', 'api']);
});

test('param flags: the union, per-type coercion, help listing each scenario', () => {
  const union = paramFlagUnion(PROBES);
  assert.deepEqual(
    union.map((f) => [f.flag, f.owners.map((o) => o.scenario)]),
    [
      ['duration', ['order-stress', 'db-throughput']],
      ['rate', ['order-stress', 'db-throughput']],
      ['p95-target-ms', ['order-stress']],
      ['batch-size', ['db-throughput']],
      ['batch-p95-target-ms', ['db-throughput']],
    ],
  );
  assert.equal(
    paramFlagHelp(union[0]),
    'how long [duration] (order-stress, db-throughput; default 1s, --full 5m)',
  );
  const spec = (type: 'list' | 'boolean' | 'duration' | 'integer', def: unknown) => ({
    key: 'k',
    flag: 'k',
    type,
    default: def,
    help: '',
  });
  assert.deepEqual(coerceParam(spec('list', ['A']), 'A, B', '--k'), { value: ['A', 'B'] });
  assert.deepEqual(coerceParam(spec('list', [1]), '1,2', '--k'), { value: [1, 2] });
  assert.deepEqual(coerceParam(spec('boolean', true), 'no', '--k'), { value: false });
  assert.deepEqual(coerceParam(spec('duration', 10), '1m', '--k'), { value: 60 });
  assert.deepEqual(coerceParam(spec('integer', 1), '100_000', '--k'), { value: 100_000 });
  assert.match(coerceParam(spec('duration', '1s'), 'soon', '--k').problem ?? '', /--k must be a duration/);
});
