/**
 * The agent workload's environment variables: parsing (bytes with units, booleans, positive
 * integers, every problem named at once), `tickstorm serve` refusing bad values with exit 2
 * and the variable named, threading good values through to the api's /health, and the --help line.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseByteSize, parsePerformanceEnv } from '../src/config/performance-env.ts';
import { run, type Served, serveSandbox, TICKSTORM, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { Http } from './support/trading-fixture.ts';

const GiB = 1024 ** 3;

describe('performance env parsing', () => {
  test('sizes: units are binary multiples, case-insensitive; bad or tiny sizes name the variable', () => {
    assert.equal(parseByteSize('2GB'), 2 * GiB);
    assert.equal(parseByteSize('512mb'), 512 * 1024 ** 2);
    assert.equal(parseByteSize('1.5G'), 1.5 * GiB);
    assert.equal(parseByteSize('2GiB'), 2 * GiB);
    assert.equal(parseByteSize(String(100 * 1024 ** 2)), 100 * 1024 ** 2);
    for (const bad of ['lots', '2XB', '-1GB', '', 'GB']) {
      assert.throws(
        () => parseByteSize(bad),
        { code: 'TRD_ERR_INVALID_CONFIG', message: /ABC_MEMORY_LIMIT must be/ },
        bad,
      );
    }
    assert.throws(() => parseByteSize('1MB'), /at least 64MB/);
  });

  test('unset means defaults; good values parse; every bad one is reported at once', () => {
    assert.deepEqual(parsePerformanceEnv({}), {
      maxConcurrentRequests: undefined,
      memoryLimitBytes: undefined,
      performanceMode: false,
    });
    assert.deepEqual(
      parsePerformanceEnv({
        ABC_PERFORMANCE_MODE: 'TRUE',
        ABC_MAX_CONCURRENT_REQUESTS: '100',
        ABC_MEMORY_LIMIT: '2GB',
      }),
      { maxConcurrentRequests: 100, memoryLimitBytes: 2 * GiB, performanceMode: true },
    );
    assert.equal(parsePerformanceEnv({ ABC_PERFORMANCE_MODE: '0' }).performanceMode, false);
    assert.throws(
      () =>
        parsePerformanceEnv({
          ABC_PERFORMANCE_MODE: 'maybe',
          ABC_MAX_CONCURRENT_REQUESTS: '0',
          ABC_MEMORY_LIMIT: 'x',
        }),
      (err: Error) => {
        assert.match(err.message, /ABC_MAX_CONCURRENT_REQUESTS must be a positive integer, got 0/);
        assert.match(err.message, /ABC_MEMORY_LIMIT must be a size/);
        assert.match(err.message, /ABC_PERFORMANCE_MODE must be true or false/);
        return true;
      },
    );
  });
});

describe('tickstorm serve and the ABC_* variables', () => {
  const box = serveSandbox('tickstorm-agent-env-');
  const tmp = () => box.tmp();
  const http = new Http();
  let served: Served | undefined;
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('bad values exit 2 naming the variable', { timeout: 60_000 }, async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { ABC_MEMORY_LIMIT: 'lots' },
        /ABC_MEMORY_LIMIT must be a size such as 2GB, 512MB or a number of bytes, got "lots"/,
      ],
      [
        { ABC_PERFORMANCE_MODE: 'maybe' },
        /ABC_PERFORMANCE_MODE must be true or false \(or 1\/0\), got "maybe"/,
      ],
    ];
    for (const [vars, message] of cases) {
      const f = await run(process.execPath, [TICKSTORM, 'serve', '--data-dir', tmp(), ...ZERO_PORT_FLAGS], {
        ...process.env,
        ...vars,
      });
      assert.equal(f.code, 2, f.stderr);
      assert.match(f.stderr, message);
    }
  });

  test('good values reach the api: /health shows the limit, the memory guard and performance mode', {
    timeout: 120_000,
  }, async () => {
    process.env.ABC_MAX_CONCURRENT_REQUESTS = '7';
    process.env.ABC_MEMORY_LIMIT = '64GB';
    process.env.ABC_PERFORMANCE_MODE = 'true';
    try {
      served = await box.serve(['--data-dir', tmp(), ...ZERO_PORT_FLAGS]);
    } finally {
      delete process.env.ABC_MAX_CONCURRENT_REQUESTS;
      delete process.env.ABC_MEMORY_LIMIT;
      delete process.env.ABC_PERFORMANCE_MODE;
    }
    const h = await http.get(`${served.urls.api}/health`);
    assert.equal(h.status, 200, JSON.stringify(h.body));
    assert.equal(h.body.performanceMode, true);
    assert.equal(h.body.agents.max, 7);
    assert.deepEqual([h.body.memory.limitBytes, h.body.memory.shedding], [64 * GiB, false]);
    assert.ok(h.body.memory.rssBytes > 0, 'RSS sampled');
    await http.close();
    served.child.kill('SIGTERM');
    assert.equal((await served.done).code, 0);
  });

  test('serve --help lists the three variables', { timeout: 60_000 }, async () => {
    const f = await run(process.execPath, [TICKSTORM, 'serve', '--help']);
    assert.equal(f.code, 0);
    for (const v of ['ABC_MAX_CONCURRENT_REQUESTS', 'ABC_MEMORY_LIMIT', 'ABC_PERFORMANCE_MODE'])
      assert.match(f.stdout, new RegExp(v));
  });
});
