/**
 * Every route x {no key, bad signature, stale timestamp, another account's trader, owner,
 * viewer, feed, admin} with the expected status (and, for refusals, code), on a system
 * started with keys; then the account rules (trader default account, foreign orders are
 * 404, requests never create accounts), the kill switch, and WebSocket upgrades signed by
 * query parameters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signWebSocketPath } from '@tickstorm/protocol';
import type { ServiceName } from '../src/config/service-config.ts';
import { IDENTITIES, type Identity, KEYS_JSON, keyStore, signedSend } from './support/auth-fixture.ts';
import { type Fixture, order, startFixture } from './support/trading-fixture.ts';
import { tryUpgrade } from './support/ws-upgrade.ts';

type Expect = Record<Identity, number>;
const UNAUTH = { none: 401, badSig: 401, stale: 401 } as const;
/** Expected statuses by right; `ok` is the route's success status. */
const trade = (ok: number, other: number): Expect => ({
  ...UNAUTH,
  other,
  owner: ok,
  viewer: 403,
  feed: 403,
  admin: ok,
});
const view = (ok: number): Expect => ({ ...UNAUTH, other: ok, owner: ok, viewer: ok, feed: 403, admin: ok });
const feed = (ok: number): Expect => ({
  ...UNAUTH,
  other: 403,
  owner: 403,
  viewer: 403,
  feed: ok,
  admin: ok,
});
const admin = (ok: number): Expect => ({
  ...UNAUTH,
  other: 403,
  owner: 403,
  viewer: 403,
  feed: 403,
  admin: ok,
});
/** A request no route takes: authenticated, then its answer whatever the role. */
const anyKey = (ok: number): Expect => ({ ...UNAUTH, other: ok, owner: ok, viewer: ok, feed: ok, admin: ok });
const open = (ok: number): Expect => ({
  none: ok,
  badSig: ok,
  stale: ok,
  other: ok,
  owner: ok,
  viewer: ok,
  feed: ok,
  admin: ok,
});

interface Route {
  service: ServiceName;
  method: string;
  /** Path, or a function making one (e.g. a fresh order to cancel). */
  path: string | ((f: Fixture) => Promise<string>);
  body?: unknown;
  expect: Expect;
}

const A_ORDER = order('AAPL', 'buy', 'limit', 1, 100, { account: 'acct-a' });

async function ownersOrder(f: Fixture): Promise<string> {
  const r = await signedSend(f.http, 'owner', 'POST', f.url('execution-engine'), '/orders', A_ORDER);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return `/orders/${r.body.id}`;
}

const ROUTES: Route[] = [
  { service: 'execution-engine', method: 'GET', path: '/health', expect: open(200) },
  { service: 'execution-engine', method: 'POST', path: '/orders', body: A_ORDER, expect: trade(201, 403) },
  { service: 'execution-engine', method: 'GET', path: ownersOrder, expect: trade(200, 404) },
  { service: 'execution-engine', method: 'DELETE', path: ownersOrder, expect: trade(200, 404) },
  { service: 'execution-engine', method: 'GET', path: '/book/AAPL', expect: view(200) },
  { service: 'execution-engine', method: 'GET', path: '/stats', expect: view(200) },
  {
    service: 'execution-engine',
    method: 'POST',
    path: '/admin/accounts/acct-a2/resume',
    expect: admin(200),
  },
  { service: 'risk-manager', method: 'GET', path: '/health', expect: open(200) },
  { service: 'risk-manager', method: 'POST', path: '/check', body: A_ORDER, expect: trade(200, 403) },
  { service: 'risk-manager', method: 'GET', path: '/positions?account=acct-a', expect: trade(200, 403) },
  { service: 'risk-manager', method: 'GET', path: '/limits', expect: view(200) },
  { service: 'risk-manager', method: 'PUT', path: '/limits', body: {}, expect: admin(200) },
  { service: 'market-data', method: 'GET', path: '/health', expect: open(200) },
  { service: 'market-data', method: 'GET', path: '/symbols', expect: view(200) },
  { service: 'market-data', method: 'GET', path: '/stats', expect: view(200) },
  { service: 'market-data', method: 'POST', path: '/stats/reset', expect: admin(204) },
  { service: 'api', method: 'GET', path: '/api/metrics/system', expect: view(200) },
  { service: 'api', method: 'GET', path: '/api/metrics', expect: view(200) },
  { service: 'api', method: 'GET', path: '/metrics', expect: view(200) },
  { service: 'api', method: 'GET', path: '/api/metrics/query?sql=SELECT%201%20AS%20x', expect: admin(200) },
  {
    service: 'api',
    method: 'POST',
    path: '/api/metrics',
    body: [{ name: 'auth.test', value: 1 }],
    expect: feed(202),
  },
  // no route: 404 (or 405 where the path takes other methods) for any valid key, whatever its role
  { service: 'api', method: 'GET', path: '/no/such/route', expect: anyKey(404) },
  { service: 'execution-engine', method: 'POST', path: '/no/such/route', body: {}, expect: anyKey(404) },
  { service: 'execution-engine', method: 'OPTIONS', path: '/orders', expect: anyKey(405) },
  { service: 'risk-manager', method: 'DELETE', path: '/limits', expect: anyKey(405) },
];

const CODE_401: Partial<Record<Identity, string>> = {
  none: 'TRD_ERR_UNAUTHENTICATED',
  badSig: 'TRD_ERR_BAD_SIGNATURE',
  stale: 'TRD_ERR_STALE_TIMESTAMP',
};

describe('auth: route x identity matrix (keys on)', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ security: { keys: keyStore() }, inputLog: false });
  });
  after(() => f.close());

  for (const route of ROUTES) {
    const label = typeof route.path === 'string' ? route.path : `${route.path.name}()`;
    test(`${route.service}: ${route.method} ${label}`, async () => {
      const failures: string[] = [];
      for (const who of IDENTITIES) {
        const path = typeof route.path === 'string' ? route.path : await route.path(f);
        const r = await signedSend(f.http, who, route.method, f.url(route.service), path, route.body);
        const want = route.expect[who];
        if (r.status !== want) {
          failures.push(`${who}: ${r.status} (want ${want}) ${JSON.stringify(r.body).slice(0, 160)}`);
          continue;
        }
        if (want === 401 && r.body?.error?.code !== CODE_401[who]) {
          failures.push(`${who}: code ${r.body?.error?.code}, want ${CODE_401[who]}`);
        }
        if (want === 403 && !/^TRD_ERR_(FORBIDDEN|ACCOUNT_FORBIDDEN)$/.test(r.body?.error?.code)) {
          failures.push(`${who}: 403 with code ${r.body?.error?.code}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }

  test('a trader order without account uses the key first account; foreign account is 403', async () => {
    const ex = f.url('execution-engine');
    const r = await signedSend(f.http, 'owner', 'POST', ex, '/orders', order('AAPL', 'buy', 'limit', 1, 99));
    assert.equal(r.status, 201);
    assert.equal(r.body.account, 'acct-a');
    const second = await signedSend(
      f.http,
      'owner',
      'POST',
      ex,
      '/orders',
      order('AAPL', 'buy', 'limit', 1, 99, { account: 'acct-a2' }),
    );
    assert.equal(second.body.account, 'acct-a2');
    const foreign = await signedSend(
      f.http,
      'owner',
      'POST',
      ex,
      '/orders',
      order('AAPL', 'buy', 'limit', 1, 99, { account: 'acct-b' }),
    );
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error.code, 'TRD_ERR_ACCOUNT_FORBIDDEN');
  });

  test('requests never create accounts: an admin order for an unknown account is refused', async () => {
    const before = f.sys.core!.accounts.size;
    const r = await signedSend(
      f.http,
      'admin',
      'POST',
      f.url('execution-engine'),
      '/orders',
      order('AAPL', 'buy', 'limit', 1, 99, { account: 'invented-account' }),
    );
    assert.notEqual(r.status, 201);
    assert.equal(f.sys.core!.accounts.size, before);
  });

  test('a trader listing open orders without naming an account gets every account it holds', async () => {
    const ex = f.url('execution-engine');
    const ids: string[] = [];
    for (const account of ['acct-a', 'acct-a2']) {
      const r = await signedSend(
        f.http,
        'owner',
        'POST',
        ex,
        '/orders',
        order('AAPL', 'buy', 'limit', 1, 99, { account }),
      );
      assert.equal(r.status, 201);
      ids.push(r.body.id);
    }
    const foreign = await signedSend(
      f.http,
      'other',
      'POST',
      ex,
      '/orders',
      order('AAPL', 'buy', 'limit', 1, 99),
    );
    assert.equal(foreign.status, 201);
    const listed = await signedSend(f.http, 'owner', 'GET', ex, '/orders?status=open&limit=1000');
    assert.equal(listed.status, 200);
    const seen = listed.body.orders.map((o: { id: string }) => o.id);
    for (const id of ids) assert.ok(seen.includes(id), `${id} listed`);
    assert.ok(!seen.includes(foreign.body.id), "another key's order is not listed");
    const accounts = new Set(listed.body.orders.map((o: { account: string }) => o.account));
    assert.deepEqual([...accounts].sort(), ['acct-a', 'acct-a2']);
    for (const id of [...ids, foreign.body.id]) {
      const who = id === foreign.body.id ? 'other' : 'owner';
      assert.equal((await signedSend(f.http, who, 'DELETE', ex, `/orders/${id}`)).status, 200);
    }
  });

  test("POST /api/risk/analyze shows an account's positions only to a key that holds it, or admin", async () => {
    const api = f.url('api');
    const body = { account: 'acct-a', symbols: ['AAPL'] };
    const other = await signedSend(f.http, 'other', 'POST', api, '/api/risk/analyze', body);
    assert.equal(other.status, 403, JSON.stringify(other.body));
    assert.equal(other.body.error.code, 'TRD_ERR_ACCOUNT_FORBIDDEN');
    const viewer = await signedSend(f.http, 'viewer', 'POST', api, '/api/risk/analyze', body);
    assert.equal(viewer.status, 403, JSON.stringify(viewer.body));
    assert.equal(viewer.body.error.code, 'TRD_ERR_FORBIDDEN');
    const owner = await signedSend(f.http, 'owner', 'POST', api, '/api/risk/analyze', body);
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
    assert.equal(owner.body.account, 'acct-a');
    const ownDefault = await signedSend(f.http, 'other', 'POST', api, '/api/risk/analyze', {
      symbols: ['AAPL'],
    });
    assert.equal(ownDefault.status, 200, JSON.stringify(ownDefault.body));
    assert.equal(ownDefault.body.account, 'acct-b', "a trader's own first account by default");
    const admin = await signedSend(f.http, 'admin', 'POST', api, '/api/risk/analyze', body);
    assert.equal(admin.status, 200);
  });

  test('halting an account no key holds is 404 TRD_ERR_UNKNOWN_ACCOUNT (a typo never reports a halt)', async () => {
    const ex = f.url('execution-engine');
    for (const op of ['halt', 'resume']) {
      const r = await signedSend(f.http, 'admin', 'POST', ex, `/admin/accounts/ACCT-B/${op}`);
      assert.equal(r.status, 404, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'TRD_ERR_UNKNOWN_ACCOUNT');
    }
  });

  test('a body that does not match its signature is 401 (signature over the raw bytes)', async () => {
    const ex = f.url('execution-engine');
    const k = KEYS_JSON[3];
    const { signRequest } = await import('@tickstorm/protocol');
    const ts = String(Date.now());
    const signedBody = JSON.stringify(A_ORDER);
    const sig = signRequest(k.secret, ts, 'POST', '/orders', signedBody);
    const sent = JSON.stringify({ ...A_ORDER, quantity: 1000 });
    const r = await f.http.send('POST', `${ex}/orders`, sent, {
      'content-type': 'application/json',
      'x-ts-key': k.id,
      'x-ts-timestamp': ts,
      'x-ts-signature': sig,
    });
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'TRD_ERR_BAD_SIGNATURE');
  });

  test('kill switch: halt cancels the open orders and refuses new ones until resume', async () => {
    const ex = f.url('execution-engine');
    const resting = await signedSend(
      f.http,
      'other',
      'POST',
      ex,
      '/orders',
      order('MSFT', 'buy', 'limit', 1, 50),
    );
    assert.equal(resting.status, 201);
    const halt = await signedSend(f.http, 'admin', 'POST', ex, '/admin/accounts/acct-b/halt');
    assert.equal(halt.status, 200);
    assert.ok(halt.body.cancelled >= 1);
    const after1 = await signedSend(f.http, 'other', 'GET', ex, `/orders/${resting.body.id}`);
    assert.equal(after1.body.status, 'cancelled');
    const refused = await signedSend(
      f.http,
      'other',
      'POST',
      ex,
      '/orders',
      order('MSFT', 'buy', 'limit', 1, 50),
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'TRD_ERR_ACCOUNT_HALTED');
    // the pre-trade check gives the answer the order would get, not "allowed"
    const checked = await signedSend(
      f.http,
      'other',
      'POST',
      f.url('risk-manager'),
      '/check',
      order('MSFT', 'buy', 'limit', 1, 50),
    );
    assert.equal(checked.status, 403, JSON.stringify(checked.body));
    assert.equal(checked.body.error.code, 'TRD_ERR_ACCOUNT_HALTED');
    const ownerStill = await signedSend(
      f.http,
      'owner',
      'POST',
      ex,
      '/orders',
      order('MSFT', 'buy', 'limit', 1, 50),
    );
    assert.equal(ownerStill.status, 201);
    const resume = await signedSend(f.http, 'admin', 'POST', ex, '/admin/accounts/acct-b/resume');
    assert.equal(resume.status, 200);
    const again = await signedSend(
      f.http,
      'other',
      'POST',
      ex,
      '/orders',
      order('MSFT', 'buy', 'limit', 1, 50),
    );
    assert.equal(again.status, 201);
  });

  test('kill switch: a retry of an order placed before the halt answers 409 naming it', async () => {
    const ex = f.url('execution-engine');
    const body = order('MSFT', 'buy', 'limit', 1, 51, { clientOrderId: 'before-halt-1' });
    const placed = await signedSend(f.http, 'other', 'POST', ex, '/orders', body);
    assert.equal(placed.status, 201);
    assert.equal((await signedSend(f.http, 'admin', 'POST', ex, '/admin/accounts/acct-b/halt')).status, 200);
    try {
      const retry = await signedSend(f.http, 'other', 'POST', ex, '/orders', body);
      assert.equal(retry.status, 409, JSON.stringify(retry.body));
      assert.equal(retry.body.error.code, 'TRD_ERR_DUPLICATE_CLIENT_ORDER_ID');
      assert.equal(retry.body.orderId, placed.body.id);
      const fresh = { ...body, clientOrderId: 'after-halt-1' };
      const refused = await signedSend(f.http, 'other', 'POST', ex, '/orders', fresh);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'TRD_ERR_ACCOUNT_HALTED');
    } finally {
      await signedSend(f.http, 'admin', 'POST', ex, '/admin/accounts/acct-b/resume');
    }
  });

  for (const [service, path, okFor] of [
    ['market-data', '/stream', ['feed', 'admin']],
    ['api', '/ws/metrics', ['viewer', 'admin', 'owner']],
  ] as const) {
    test(`WebSocket ${path}: signed by query parameters; refused with 401/403 otherwise`, async () => {
      const port = f.sys.handles[service]!.port;
      const secretOf = (id: string) => KEYS_JSON.find((k) => k.id === id)!.secret;
      const attempt = async (url: string) => (await tryUpgrade(url)).status;
      const base = `ws://127.0.0.1:${port}`;
      assert.equal(await attempt(`${base}${path}`), 401);
      for (const id of ['admin-1', 'viewer-1', 'feed-1', 'trader-a']) {
        const role = KEYS_JSON.find((k) => k.id === id)!.role;
        const who = role === 'trader' ? 'owner' : role;
        const signed = signWebSocketPath(id, secretOf(id), path);
        const want = (okFor as readonly string[]).includes(who) ? 101 : 403;
        assert.equal(await attempt(`${base}${signed}`), want, `${id} on ${path}`);
      }
      const forged = signWebSocketPath('admin-1', 'wrong-secret-0123456789', path);
      assert.equal(await attempt(`${base}${forged}`), 401);
    });
  }
});
