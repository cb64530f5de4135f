/**
 * The system apart: every service in its own OS process (`node bin/tickstorm.js serve
 * <service> --bus nats://…`, as a user runs them), talking over a real nats-server started
 * here on a free port. Then two api, two market-data and two partitioned execution-engine
 * processes with one risk manager. Everything is observed from the outside: HTTP, the ingest
 * and subscriber WebSockets, `ps`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { type Served, serveSandbox, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { MdClient, tick } from './support/md-client.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import type { Json } from './support/trading-fixture.ts';
import { WsTestClient } from './support/ws-test-client.ts';

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
  what = 'condition',
): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (performance.now() - t0 > ms) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function json(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const r = await fetch(url, {
    ...init,
    headers: init?.body === undefined ? undefined : { 'content-type': 'application/json' },
  });
  const text = await r.text();
  return { status: r.status, body: text === '' ? undefined : JSON.parse(text), headers: r.headers };
}

const post = (url: string, body: unknown) => json(url, { method: 'POST', body: JSON.stringify(body) });

function wsUrl(http: string, path: string): string {
  return `${http.replace(/^http/, 'ws')}${path}`;
}

/**
 * A nats-server and the `serve ... --bus` processes of one describe block, each named, each
 * with its own data dir (kept across a restart of that name); all stopped in `after`.
 */
function splitCluster(prefix: string, layout: (start: SplitCluster['start']) => Promise<unknown>) {
  const box = serveSandbox(prefix);
  const dirs: Record<string, string> = {};
  const c: SplitCluster = {
    procs: {},
    nats: undefined as unknown as NatsServer,
    async start(name, args) {
      dirs[name] ??= box.tmp();
      c.procs[name] = await box.serve([
        ...args,
        '--bus',
        c.nats.url,
        '--data-dir',
        dirs[name],
        ...ZERO_PORT_FLAGS,
      ]);
      return c.procs[name];
    },
  };
  before(async () => {
    c.nats = await startNatsServer();
    await layout(c.start);
  });
  after(async () => {
    await box.cleanup();
    await c.nats.stop();
  });
  return c;
}

interface SplitCluster {
  procs: Record<string, Served>;
  nats: NatsServer;
  start(name: string, args: string[]): Promise<Served>;
}

describe('services apart, one OS process each, on NATS', { timeout: 240_000 }, () => {
  const { procs, start } = splitCluster('tickstorm-split-', async (start) => {
    await start('risk', ['risk-manager']);
    await start('engine', ['execution-engine']);
    await start('md', ['market-data']);
    await start('api', ['api']);
  });

  test('each service runs as its own process, found by its title', () => {
    const ps = execFileSync(
      'ps',
      [
        '-o',
        'pid=,args=',
        '-p',
        Object.values(procs)
          .map((p) => p.child.pid)
          .join(','),
      ],
      {
        encoding: 'utf8',
      },
    );
    for (const title of ['market-data', 'execution-engine', 'risk-manager', 'tickstorm-api']) {
      assert.match(ps, new RegExp(title), `ps shows ${title}:\n${ps}`);
    }
  });

  test('market data reaches the api subscribers and the engine (a stop fires); orders reach risk and the api', async () => {
    const api = procs.api.urls.api;
    const engine = procs.engine.urls['execution-engine'];
    const risk = procs.risk.urls['risk-manager'];
    const sub = await WsTestClient.connect(wsUrl(api, '/ws/metrics'));
    await sub.subscribe('AAPL');
    const resting = await post(`${engine}/orders`, {
      symbol: 'AAPL',
      side: 'sell',
      type: 'limit',
      price: 102,
      quantity: 5,
      account: 'acct-1',
    });
    assert.equal(resting.status, 201, JSON.stringify(resting.body));
    const stop = await post(`${engine}/orders`, {
      symbol: 'AAPL',
      side: 'buy',
      type: 'stop',
      price: 101,
      quantity: 2,
      account: 'acct-2',
    });
    assert.equal(stop.status, 201, JSON.stringify(stop.body));
    assert.equal(stop.body.status, 'pending');

    const md = await MdClient.open(wsUrl(procs.md.urls['market-data'], '/stream'));
    md.send(tick('AAPL', 101.5, 10));
    await md.sync();
    await sub.waitFor(
      (m) => m.json?.type === 'update' && m.json.symbol === 'AAPL' && m.json.last === 101.5,
      10_000,
    );
    const fired = await until(
      async () => {
        const r = await json(`${engine}/orders/${stop.body.id}`);
        return r.body.status === 'filled' ? r.body : undefined;
      },
      10_000,
      'the stop order filled',
    );
    assert.equal(fired.filledQuantity, 2);
    await md.close();
    await sub.close();

    const pos = await until(
      async () => {
        const r = await json(`${risk}/positions?account=acct-2`);
        const a = (
          r.body.accounts as { account: string; positions: { symbol: string; position: number }[] }[]
        ).find((x) => x.account === 'acct-2');
        return a?.positions.some((p) => p.symbol === 'AAPL' && p.position === 2) ? a : undefined;
      },
      10_000,
      'risk sees acct-2 long AAPL',
    );
    assert.ok(pos);
    const orders = await until(
      async () => {
        const r = await json(`${api}/api/metrics/orders`);
        return r.body.totalOrders >= 2 || r.body.received >= 2 || r.body.ordersReceived >= 2
          ? r.body
          : undefined;
      },
      10_000,
      'the api counts the orders',
    );
    assert.ok(orders);
    // the api's market-data section comes from market data's heartbeats (every 500 ms)
    await until(
      async () => {
        const r = await json(`${api}/api/metrics/market-data`);
        return r.status === 200 && r.body.ticksProcessed >= 1 ? true : undefined;
      },
      10_000,
      'the api shows the ticks market data processed',
    );
  });

  test('/health on the api reports every service; a killed engine shows down once its beats stop; a restarted one rejoins with its orders', async () => {
    const api = procs.api.urls.api;
    const healthy = await until(
      async () => {
        const r = await json(`${api}/health`);
        return r.body.services?.['execution-engine']?.status === 'ok' &&
          r.body.services?.['market-data']?.status === 'ok' &&
          r.body.services?.['risk-manager']?.status === 'ok'
          ? r.body
          : undefined;
      },
      10_000,
      'every service ok',
    );
    assert.ok(healthy);
    const engine = procs.engine.urls['execution-engine'];
    const rest = await post(`${engine}/orders`, {
      symbol: 'MSFT',
      side: 'buy',
      type: 'limit',
      price: 50,
      quantity: 3,
      account: 'acct-3',
    });
    assert.equal(rest.status, 201);
    procs.engine.child.kill('SIGKILL');
    await procs.engine.done.catch(() => undefined);
    const t0 = performance.now();
    await until(
      async () => {
        const r = await json(`${api}/health`);
        return r.body.services?.['execution-engine']?.status !== 'ok' ? true : undefined;
      },
      10_000,
      'the api reports the engine down',
    );
    // 1.5 s after its last beat (cluster-view's rules, on a manual clock there): under 2 s on
    // an idle box, with less to spare than a loaded box's stalls (400 ms seen); 5 s still fails
    // an api that never sees it go, or only when it forgets it (60 s)
    const seenMs = performance.now() - t0;
    assert.ok(seenMs < 5000, `seen down after ${Math.round(seenMs)} ms`);
    await start('engine', ['execution-engine']);
    const again = procs.engine.urls['execution-engine'];
    const back = await json(`${again}/orders/${rest.body.id}`);
    assert.equal(back.status, 200);
    assert.equal(back.body.status, 'new');
    await until(
      async () => {
        const r = await json(`${api}/health`);
        return r.body.services?.['execution-engine']?.status === 'ok' ? true : undefined;
      },
      10_000,
      'the engine ok again',
    );
  });

  test('the agent endpoints work with the api apart', async () => {
    const api = procs.api.urls.api;
    // A 503 + Retry-After (a process still rejoining after the restart above) is retried, as a client would.
    const r = await until(
      async () => {
        const x = await post(`${api}/api/trade/execute`, {
          symbol: 'AAPL',
          side: 'buy',
          type: 'limit',
          price: 90,
          quantity: 1,
          account: 'acct-4',
        });
        if (x.status === 503) {
          assert.equal(x.headers.get('retry-after'), '1');
          return undefined;
        }
        return x;
      },
      10_000,
      'an answer other than 503',
    );
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.symbol, 'AAPL');
    const engine = procs.engine.urls['execution-engine'];
    const atEngine = await json(`${engine}/orders/${r.body.id}`);
    assert.equal(atEngine.status, 200);
    assert.equal(atEngine.body.account, 'acct-4');
  });
});

describe('scale-out: two api, two market-data and two partitioned execution-engine processes', {
  timeout: 240_000,
}, () => {
  const A = ['AAPL', 'GOOGL', ...Array.from({ length: 25 }, (_, i) => `SYM${i}`)];
  const B = ['MSFT', 'AMZN', 'TSLA', ...Array.from({ length: 25 }, (_, i) => `SYM${i + 25}`)];
  const { procs, start } = splitCluster('tickstorm-scale-', async (start) => {
    await start('risk', ['risk-manager']);
    await Promise.all([
      start('engineA', ['execution-engine', '--symbols', A.join(',')]),
      start('engineB', ['execution-engine', '--symbols', B.join(',')]),
      start('md1', ['market-data']),
      start('md2', ['market-data']),
      start('api1', ['api']),
      start('api2', ['api']),
    ]);
  });

  test('ticks into either market-data process reach the subscribers of both api processes', async () => {
    const subs = await Promise.all(
      ['api1', 'api2'].map(async (a) => {
        const c = await WsTestClient.connect(wsUrl(procs[a].urls.api, '/ws/metrics'));
        await c.subscribe('TSLA');
        return c;
      }),
    );
    for (const [k, md] of ['md1', 'md2'].entries()) {
      const c = await MdClient.open(wsUrl(procs[md].urls['market-data'], '/stream'));
      const price = 200 + k;
      c.send(tick('TSLA', price, 5));
      await c.sync();
      await Promise.all(
        subs.map((s) =>
          s.waitFor(
            (m) => m.json?.type === 'update' && m.json.symbol === 'TSLA' && m.json.last === price,
            10_000,
          ),
        ),
      );
      await c.close();
    }
    for (const s of subs) await s.close();
  });

  test('any engine takes any order and routes it to the owner; GET/DELETE from either; the owner down is 503 + Retry-After', async () => {
    const a = procs.engineA.urls['execution-engine'];
    const placed = await post(`${a}/orders`, {
      symbol: 'MSFT',
      side: 'buy',
      type: 'limit',
      price: 80,
      quantity: 4,
      account: 'scale-1',
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const b = procs.engineB.urls['execution-engine'];
    const atOwner = await json(`${b}/orders/${placed.body.id}`);
    assert.equal(atOwner.status, 200);
    assert.equal(atOwner.body.symbol, 'MSFT');
    const viaA = await json(`${a}/orders/${placed.body.id}`);
    assert.deepEqual(viaA.body, atOwner.body);
    // a crossing order sent to the other engine trades with it: one book per symbol
    const cross = await post(`${b}/orders`, {
      symbol: 'MSFT',
      side: 'sell',
      type: 'limit',
      price: 80,
      quantity: 1,
      account: 'scale-2',
    });
    assert.equal(cross.status, 201);
    assert.equal(cross.body.status, 'filled');
    const cancel = await json(`${a}/orders/${placed.body.id}`, { method: 'DELETE' });
    assert.equal(cancel.status, 200);
    assert.equal(cancel.body.status, 'cancelled');

    procs.engineB.child.kill('SIGKILL');
    await procs.engineB.done.catch(() => undefined);
    const t0 = performance.now();
    const down = await post(`${a}/orders`, {
      symbol: 'MSFT',
      side: 'buy',
      type: 'limit',
      price: 80,
      quantity: 1,
      account: 'scale-1',
    });
    const ms = performance.now() - t0;
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.headers.get('retry-after'), '1');
    assert.ok(ms < 2500, `answered in ${Math.round(ms)} ms`);
    const own = await post(`${a}/orders`, {
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      price: 80,
      quantity: 1,
      account: 'scale-1',
    });
    assert.equal(own.status, 201, 'the other partition keeps trading');
    await start('engineB', ['execution-engine', '--symbols', B.join(',')]);
    const back = await json(`${a}/orders/${placed.body.id}`);
    assert.equal(back.status, 200);
    assert.equal(back.body.status, 'cancelled');
  });
});
