/**
 * `tickstorm serve` as a child process (bin/tickstorm.js, as a user runs it): ports 0 via
 * the flags, the printed URLs answer, an order goes through, SIGTERM stops it with exit 0
 * and "stopped cleanly" after writing the input log and the DuckDB file; bad arguments
 * exit non-zero with a message naming the problem; a port already in use exits 1 naming
 * the flag that moves it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { portFlagName, type ServiceName } from '@tickstorm/protocol';
import {
  finished,
  run,
  type Served,
  serveSandbox,
  TICKSTORM,
  ZERO_PORT_FLAGS,
} from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

describe('tickstorm serve (child process)', () => {
  const box = serveSandbox('tickstorm-serve-');
  const tmp = () => box.tmp();
  const http = new Http();
  let served: Served | undefined;
  after(async () => {
    await http.close();
    await box.cleanup();
  });

  test('serves on the printed URLs; SIGTERM -> exit 0, "stopped cleanly", files written', {
    timeout: 120_000,
  }, async () => {
    const dir = tmp();
    served = await box.serve(['--data-dir', dir, ...ZERO_PORT_FLAGS]);
    const urls = served.urls;
    assert.deepEqual(Object.keys(urls).sort(), ['api', 'execution-engine', 'market-data', 'risk-manager']);
    for (const [name, url] of Object.entries(urls)) {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(url.endsWith(':0'), true, `${name} listens on a real port`);
      const h = await http.get(`${url}/health`);
      assert.equal(h.status, 200, name);
      assert.equal(h.body.status, 'ok', name);
    }
    const placed = await http.post(
      `${urls['execution-engine']}/orders`,
      order('AAPL', 'buy', 'limit', 5, 100),
    );
    assert.equal(placed.status, 201);
    await http.close();
    served.child.kill('SIGTERM');
    const f = await served.done;
    assert.equal(f.code, 0, f.stderr);
    assert.match(f.stdout, /SIGTERM: stopping/);
    assert.match(f.stdout, /stopped cleanly/);
    assert.ok(statSync(join(dir, 'input-log-0.bin')).size > 0, 'the input log holds the order');
    assert.ok(existsSync(join(dir, 'metrics.duckdb')));
    assert.equal(existsSync(join(dir, 'metrics.duckdb.wal')), false, 'checkpointed on close');
  });

  test('an unknown service exits non-zero naming it and the valid ones', { timeout: 60_000 }, async () => {
    const f = await run(process.execPath, [
      TICKSTORM,
      'serve',
      'nonsense',
      '--data-dir',
      tmp(),
      ...ZERO_PORT_FLAGS,
    ]);
    assert.notEqual(f.code, 0);
    assert.match(f.stderr, /unknown service "nonsense"/);
    assert.match(f.stderr, /market-data, execution-engine, risk-manager, api/);
  });

  test('a bad port and a bad ABC_MAX_CONCURRENT_REQUESTS exit non-zero with the reason', {
    timeout: 60_000,
  }, async () => {
    const port = await run(process.execPath, [
      TICKSTORM,
      'serve',
      '--data-dir',
      tmp(),
      '--api-port',
      '70000',
    ]);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /api port must be an integer 0\.\.65535/);
    const env = { ...process.env, ABC_MAX_CONCURRENT_REQUESTS: 'lots' };
    const limit = await run(
      process.execPath,
      [TICKSTORM, 'serve', '--data-dir', tmp(), ...ZERO_PORT_FLAGS],
      env,
    );
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /ABC_MAX_CONCURRENT_REQUESTS must be a positive integer, got lots/);
  });

  test('a non-loopback --host without keys exits 2 with the reason and no stack trace', {
    timeout: 60_000,
  }, async () => {
    const f = await run(process.execPath, [
      TICKSTORM,
      'serve',
      '--data-dir',
      tmp(),
      '--host',
      '0.0.0.0',
      ...ZERO_PORT_FLAGS,
    ]);
    assert.equal(f.code, 2, f.stderr);
    assert.match(f.stderr, /refusing to listen on 0\.0\.0\.0 without keys: pass --keys FILE/);
    assert.match(f.stderr, /--insecure-no-auth/);
    assert.doesNotMatch(f.stderr, /\bat .*\.ts:\d+|"stack"/, 'a configuration error prints no stack trace');
  });

  test('--metrics-store (or its env) with a URL that is not postgres:// exits 2 naming it; nothing is created', {
    timeout: 60_000,
  }, async () => {
    // Taken as a DuckDB path, mysql://… made directories "mysql:/…" in the working directory
    // and the system ran on a store nobody asked for.
    for (const [args, env] of [
      [['--metrics-store', 'mysql://u:hunter2@db/x', ...ZERO_PORT_FLAGS], {}],
      [
        ['market-data', '--bus', 'nats://127.0.0.1:1', '--market-data-port', '0'],
        { TICKSTORM_METRICS_STORE: 'mysql://u:hunter2@db/x' },
      ],
    ] as const) {
      const cwd = tmp();
      const child = spawn(process.execPath, [TICKSTORM, 'serve', '--data-dir', join(cwd, 'd'), ...args], {
        cwd,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const f = await finished(child, 30_000);
      assert.equal(f.code, 2, f.stdout + f.stderr);
      assert.match(
        f.stderr,
        /metrics store mysql:\/\/u:\*\*\*@db\/x \(--metrics-store, TICKSTORM_METRICS_STORE\): a mysql:\/\/ URL is neither a DuckDB file path nor a postgres:\/\/ URL/,
      );
      assert.doesNotMatch(f.stdout + f.stderr, /hunter2/);
      assert.deepEqual(readdirSync(cwd), [], 'nothing created in the working directory');
    }
  });

  test('--metrics-store with a postgres:// URL that does not parse exits 2 naming it, not 1 at connect time', {
    timeout: 60_000,
  }, async () => {
    // Before: "cannot open metrics store postgres://u@127.0.0.1:abc/db: Invalid URL", exit 1.
    const cwd = tmp();
    const url = 'postgres://u:hunter2@127.0.0.1:abc/db';
    const child = spawn(
      process.execPath,
      [TICKSTORM, 'serve', 'api', '--api-port', '0', '--metrics-store', url, '--data-dir', join(cwd, 'd')],
      {
        cwd,
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const f = await finished(child, 30_000);
    assert.equal(f.code, 2, f.stdout + f.stderr);
    assert.match(
      f.stderr,
      /metrics store postgres:\/\/u:\*\*\*@127\.0\.0\.1:abc\/db \(--metrics-store, TICKSTORM_METRICS_STORE\) is not a valid URL/,
    );
    assert.doesNotMatch(f.stdout + f.stderr, /hunter2/);
  });

  test('--config: a file that is not an object, an unknown key or service exits 2 naming it; an empty API_PORT is unset', {
    timeout: 90_000,
  }, async () => {
    // Before: null crashed with a TypeError (exit 1); "apiPort" and ports."exec" were ignored.
    for (const [text, why] of [
      ['null', /expected a JSON object with host, dataDir and ports/],
      ['{"apiPort": 8001, "host": "127.0.0.1"}', /unknown key\(s\) apiPort: expected host, dataDir, ports/],
      ['{"ports": {"exec": 5002}}', /unknown service\(s\) in ports: exec: expected market-data/],
    ] as const) {
      const file = join(tmp(), 'serve.json');
      writeFileSync(file, text);
      const f = await run(process.execPath, [
        TICKSTORM,
        'serve',
        '--config',
        file,
        '--data-dir',
        tmp(),
        ...ZERO_PORT_FLAGS,
      ]);
      assert.equal(f.code, 2, f.stderr);
      assert.ok(f.stderr.includes(`--config ${file}: `), f.stderr);
      assert.match(f.stderr, why);
      assert.doesNotMatch(f.stderr, /TypeError|^\s+at /m);
    }
    // API_PORT= (empty, as compose files write an unset one) is unset, not port 0 (a random
    // port): the config file's port applies; an empty --api-port is refused
    const file = join(tmp(), 'ports.json');
    writeFileSync(file, JSON.stringify({ ports: { api: 70000 } }));
    const e = await run(
      process.execPath,
      [TICKSTORM, 'serve', 'api', '--config', file, '--data-dir', tmp()],
      { ...process.env, API_PORT: '' },
    );
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr, /api port must be an integer 0\.\.65535 \(got 70000;/);
    const g = await run(process.execPath, [TICKSTORM, 'serve', 'api', '--api-port', '', '--data-dir', tmp()]);
    assert.equal(g.code, 2, g.stderr);
    assert.match(g.stderr, /api port must be an integer 0\.\.65535 \(got "";/);
  });

  for (const service of ['market-data', 'api'] as ServiceName[]) {
    test(`${service}'s port in use -> exit 1 naming ${portFlagName(service)}`, {
      timeout: 60_000,
    }, async () => {
      // Hold an OS-chosen port, as a second `tickstorm serve` would find its port held.
      const holder: Server = createServer();
      await new Promise<void>((resolve, reject) => {
        holder.once('error', reject);
        holder.listen(0, '127.0.0.1', resolve);
      });
      try {
        const port = (holder.address() as { port: number }).port;
        const flags = ZERO_PORT_FLAGS.map((v, i) =>
          i > 0 && ZERO_PORT_FLAGS[i - 1] === portFlagName(service) ? String(port) : v,
        );
        assert.ok(flags.includes(String(port)));
        const f = await run(process.execPath, [TICKSTORM, 'serve', '--data-dir', tmp(), ...flags]);
        assert.equal(f.code, 1, f.stderr);
        assert.match(
          f.stderr,
          new RegExp(
            `port ${port} \\(${service}\\) is in use on 127\\.0\\.0\\.1: pass ${portFlagName(service)} <port>.*, or 0 for a free port`,
          ),
        );
        assert.doesNotMatch(f.stdout, /^pid \d+;/m, 'it never reported itself started');
      } finally {
        await new Promise<void>((resolve) => holder.close(() => resolve()));
      }
    });
  }
});
