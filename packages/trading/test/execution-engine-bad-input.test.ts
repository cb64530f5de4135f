/**
 * Bad input to the execution engine over real keep-alive sockets: every case answers a 4xx
 * with docs/spec.md's coded body `{"error":{"code","message","field"?}}`, and the server then
 * serves the next (valid) order on the same client.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CommandKind, CommandRecord } from '../src/sequencing/command-codec.ts';
import { readInputLog } from '../src/sequencing/input-log-reader.ts';
import { codedError, type Fixture, order, startFixture } from './support/trading-fixture.ts';

interface Case {
  name: string;
  body: unknown;
  headers?: Record<string, string>;
  method?: string;
  path?: string;
  status: number;
  code: string;
  field?: string;
  /** Refused by the HTTP layer (parser, router) before the order gateway sees it. */
  edge?: true;
}

const ok = order('AAPL', 'buy', 'limit', 10, 100);
const JSON_CT = { 'content-type': 'application/json' };

/** A field problem: `patch` laid over a valid order answers 400 `code` naming `field`. */
const field = (name: string, patch: Record<string, unknown>, code: string, f: string): Case => ({
  name,
  body: { ...ok, ...patch },
  status: 400,
  code,
  field: f,
});
/** A raw JSON body the parser accepts but that is no order object. */
const raw = (name: string, body: string, edge?: true): Case => ({
  name,
  body,
  headers: JSON_CT,
  status: 400,
  code: 'PRT_ERR_MALFORMED_JSON',
  edge,
});
/** An order body naming `field` twice (`members` are the order's first members). */
const dup = (name: string, members: string, f: string): Case => ({
  name,
  body: `{${members},"side":"buy","type":"limit","quantity":1,"price":100}`,
  headers: JSON_CT,
  status: 400,
  code: 'PRT_ERR_INVALID_FIELD',
  field: f,
  edge: true,
});
const NOT_FOUND = { status: 404, code: 'TRD_ERR_NOT_FOUND', edge: true } as const;
const INVALID = 'PRT_ERR_INVALID_FIELD';
const MISSING = 'PRT_ERR_MISSING_FIELD';
const NOT_POSITIVE = 'PRT_ERR_NOT_POSITIVE';

const CASES: Case[] = [
  raw('malformed JSON', '{"symbol":"AAPL",', true),
  // An empty JSON body is no body: the gateway answers that an order needs one.
  raw('empty body', ''),
  raw('body is an array', '[1,2]'),
  raw('body is a string', '"order"'),
  raw('body is null', 'null'),
  field('quantity as a string', { quantity: '10' }, INVALID, 'quantity'),
  field('price as a string', { price: '100' }, INVALID, 'price'),
  field('symbol as a number', { symbol: 7 }, INVALID, 'symbol'),
  field('missing symbol', { symbol: undefined }, MISSING, 'symbol'),
  field('unknown symbol', { symbol: 'NOPE' }, 'PRT_ERR_UNKNOWN_SYMBOL', 'symbol'),
  field('negative quantity', { quantity: -5 }, NOT_POSITIVE, 'quantity'),
  field('zero quantity', { quantity: 0 }, NOT_POSITIVE, 'quantity'),
  field('fractional quantity', { quantity: 1.5 }, 'PRT_ERR_QTY_OFF_LOT', 'quantity'),
  field('missing quantity', { quantity: undefined }, MISSING, 'quantity'),
  field('limit without price', { price: null }, MISSING, 'price'),
  field('stop without trigger', { type: 'stop', price: undefined }, MISSING, 'price'),
  field('market with a price', { type: 'market', price: 100 }, INVALID, 'price'),
  field(
    'price off the tick grid (as a Python client sends)',
    { price: 97.12345678 },
    'PRT_ERR_PRICE_OFF_TICK',
    'price',
  ),
  field('price 1e300', { price: 1e300 }, 'PRT_ERR_OUT_OF_RANGE', 'price'),
  field('negative price', { price: -100 }, NOT_POSITIVE, 'price'),
  field('zero price', { price: 0 }, NOT_POSITIVE, 'price'),
  field('quantity 1e300', { quantity: 1e300 }, 'PRT_ERR_OUT_OF_RANGE', 'quantity'),
  field('unknown side', { side: 'hold' }, INVALID, 'side'),
  field('unknown type', { type: 'iceberg' }, INVALID, 'type'),
  field('side in capitals', { side: 'BUY' }, INVALID, 'side'),
  // Names every plain object inherits: once read from an object literal, such an order reached
  // the engine ("refused the order (-4)", no field) after its journal, which replayed it as a buy.
  field('side "__proto__"', { side: '__proto__' }, INVALID, 'side'),
  field('side "toString"', { side: 'toString' }, INVALID, 'side'),
  field('type "constructor"', { type: 'constructor' }, INVALID, 'type'),
  field('type "hasOwnProperty"', { type: 'hasOwnProperty' }, INVALID, 'type'),
  field('clientOrderId too long', { clientOrderId: 'x'.repeat(65) }, INVALID, 'clientOrderId'),
  field('clientOrderId not a string', { clientOrderId: 12 }, INVALID, 'clientOrderId'),
  field('account with a space', { account: 'a b' }, INVALID, 'account'),
  // A misspelt field ignored would drop the de-duplication or pick another account.
  field('unknown field (clientOrderID)', { clientOrderID: 'c-1' }, INVALID, 'clientOrderID'),
  field('unknown field (Account)', { Account: 'acct-2' }, INVALID, 'Account'),
  field('unknown field named 200 characters', { ['f'.repeat(200)]: 1 }, INVALID, `${'f'.repeat(61)}...`),
  // A field named twice: JSON.parse keeps the last, another reader of the bytes the first.
  dup('account given twice', '"account":"acct-1","symbol":"AAPL","account":"acct-2"', 'account'),
  dup('symbol given twice, once escaped', '"symbol":"AAPL","\\u0073ymbol":"MSFT"', 'symbol'),
  {
    name: 'missing content-type',
    body: new TextEncoder().encode(JSON.stringify(ok)),
    status: 415,
    code: 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE',
    edge: true,
  },
  {
    name: 'form content-type',
    body: 'symbol=AAPL',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'TRD_ERR_UNSUPPORTED_MEDIA_TYPE',
    edge: true,
  },
  {
    name: 'oversized body (> 64 KiB)',
    body: { ...ok, pad: 'x'.repeat(70 * 1024) },
    status: 413,
    code: 'TRD_ERR_PAYLOAD_TOO_LARGE',
    edge: true,
  },
  { name: 'unknown route', body: ok, path: '/order', ...NOT_FOUND },
  {
    name: 'a method /orders does not take: 405 (Allow: GET, HEAD, POST)',
    body: ok,
    method: 'PUT',
    status: 405,
    code: 'TRD_ERR_METHOD_NOT_ALLOWED',
    edge: true,
  },
  { name: 'GET of an unknown path', body: undefined, method: 'GET', path: '/nothing/here', ...NOT_FOUND },
];

describe('execution-engine: bad input answers a coded 4xx and the server keeps serving', () => {
  let f: Fixture;
  let ex: string;
  before(async () => {
    // Off-tick prices refused as before rounding existed (the `reject` mode, --strict-prices).
    f = await startFixture({ offTickPrices: 'reject' });
    ex = f.url('execution-engine');
  });
  after(() => f.close());

  let next = 0;
  /** A valid order that never crosses the previous ones (bids below 90, asks above 110). */
  const valid = () => {
    next++;
    return next % 2 === 0
      ? order('MSFT', 'buy', 'limit', 1, 80 + (next % 10))
      : order('MSFT', 'sell', 'limit', 1, 120 + (next % 10));
  };

  test('an unknown symbol of 60,000 characters is named, not echoed whole', async () => {
    const r = await f.http.post(`${ex}/orders`, { ...ok, symbol: 'S'.repeat(60_000) });
    assert.equal(r.status, 400);
    const e = codedError(r);
    assert.equal(e.code, 'PRT_ERR_UNKNOWN_SYMBOL');
    assert.equal(e.field, 'symbol');
    assert.ok(e.message.length < 100, `message of ${e.message.length} characters`);
    assert.match(e.message, /^unknown symbol "S+\.\.\.$/);
  });

  test('a symbol in the wrong case is refused naming the instrument it differs from', async () => {
    const r = await f.http.post(`${ex}/orders`, { ...ok, symbol: 'aapl' });
    const e = codedError(r);
    assert.deepEqual(
      [r.status, e.code, e.field, e.message],
      [400, 'PRT_ERR_UNKNOWN_SYMBOL', 'symbol', 'unknown symbol "aapl" (symbols are case-sensitive: "AAPL")'],
    );
  });

  test('an account or clientOrderId with a space is refused by a message that says spaces are not taken', async () => {
    for (const name of ['account', 'clientOrderId']) {
      const r = await f.http.post(`${ex}/orders`, { ...ok, [name]: 'desk 7' });
      const e = codedError(r);
      assert.deepEqual([r.status, e.code, e.field], [400, 'PRT_ERR_INVALID_FIELD', name]);
      // A space is printable ASCII: "1..64 printable ASCII characters" alone read as if it passed.
      assert.equal(e.message, `${name} must be 1..64 printable ASCII characters other than space`);
    }
  });

  for (const c of CASES) {
    test(c.name, async () => {
      const r = await f.http.send(c.method ?? 'POST', `${ex}${c.path ?? '/orders'}`, c.body, c.headers);
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      const e = codedError(r);
      assert.equal(e.code, c.code, e.message);
      if (c.field !== undefined) assert.equal(e.field, c.field, e.message);
      assert.ok(e.message.length > 0);
      const after = await f.http.post(`${ex}/orders`, valid());
      assert.equal(after.status, 201, `the next order after "${c.name}"`);
    });
  }

  test('the rejections are counted by reason in /stats; nothing reached the book', async () => {
    const stats = await f.http.get(`${ex}/stats`);
    // + the long symbol, + the symbol in the wrong case, + the account and clientOrderId with a space
    const gatewaySaw = CASES.filter((c) => c.edge !== true).length + 4;
    assert.equal(stats.body.ordersRejected, gatewaySaw, JSON.stringify(stats.body));
    assert.equal(stats.body.rejectedByReason.PRT_ERR_PRICE_OFF_TICK, 1);
    assert.equal(stats.body.ordersAccepted, CASES.length);
    const book = await f.http.get(`${ex}/book/AAPL`);
    assert.deepEqual([book.body.bids, book.body.asks], [[], []]);
    // The journal holds the accepted orders and nothing else: a restart replays no refused one.
    const reader = readInputLog(f.sys.core!.logPaths[0]);
    const rec = new CommandRecord();
    let journalled = 0;
    while (reader.next(rec)) if (rec.kind === CommandKind.NEW_ORDER) journalled++;
    reader.close();
    assert.equal(journalled, stats.body.ordersAccepted);
  });

  test('a cancel or a kill switch given arguments is refused, naming them, and changes nothing', async () => {
    const placed = await f.http.post(`${ex}/orders`, {
      ...order('MSFT', 'buy', 'limit', 3, 81),
      account: 'args-1',
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const id = placed.body.id as string;
    // Read as a whole cancel, a partial cancel's quantity would cancel all 3.
    const refused: [string, string, unknown, string, string][] = [
      ['DELETE', `/orders/${id}`, { quantity: 1 }, 'PRT_ERR_INVALID_FIELD', 'quantity'],
      ['DELETE', `/orders/${id}?quantity=1`, undefined, 'TRD_ERR_INVALID_QUERY', 'quantity'],
      ['DELETE', `/orders/${id}`, [1], 'PRT_ERR_INVALID_FIELD', 'body'],
      ['POST', '/admin/accounts/args-1/halt', { cancelOpen: false }, 'PRT_ERR_INVALID_FIELD', 'cancelOpen'],
      ['POST', '/admin/accounts/args-1/halt?dryRun=1', undefined, 'TRD_ERR_INVALID_QUERY', 'dryRun'],
      ['POST', '/admin/accounts/args-1/resume', { account: 'other' }, 'PRT_ERR_INVALID_FIELD', 'account'],
    ];
    for (const [method, path, body, code, name] of refused) {
      const r = await f.http.send(method, `${ex}${path}`, body);
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.deepEqual([codedError(r).code, codedError(r).field], [code, name], path);
    }
    const still = await f.http.get(`${ex}/orders/${id}`);
    assert.deepEqual([still.body.status, still.body.remainingQuantity], ['new', 3]);
    const more = await f.http.post(`${ex}/orders`, {
      ...order('MSFT', 'buy', 'limit', 1, 81),
      account: 'args-1',
    });
    assert.equal(more.status, 201, 'the account is not halted');
    // No arguments, as an empty JSON object: the whole cancel.
    const cancelled = await f.http.send('DELETE', `${ex}/orders/${id}`, {});
    assert.deepEqual([cancelled.status, cancelled.body.status], [200, 'cancelled']);
  });
});
