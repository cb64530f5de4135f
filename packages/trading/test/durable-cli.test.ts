/**
 * `tickstorm serve` durability flags as a user runs them: a bad --durability or
 * TICKSTORM_DURABILITY exits non-zero naming it; a restart recovers an order and its
 * clientOrderId; --fresh starts empty with new ids; a corrupt journal refuses to start,
 * naming the file and the byte.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FILE_HEADER_SIZE } from '../src/sequencing/input-log-format.ts';
import { run, serveSandbox, TICKSTORM } from './support/child-process.ts';
import { Http, order } from './support/trading-fixture.ts';

const EE = ['--execution-engine-port', '0'];

describe('tickstorm serve durability (child process)', () => {
  const box = serveSandbox('tickstorm-durable-cli-');
  const clients: Http[] = [];
  /** One client per server (a closed client cannot be reused). */
  const client = () => {
    const h = new Http();
    clients.push(h);
    return h;
  };
  after(async () => {
    for (const h of clients) await h.close();
    await box.cleanup();
  });

  test('a bad --durability or TICKSTORM_DURABILITY exits non-zero naming it', {
    timeout: 60_000,
  }, async () => {
    const flag = await run(process.execPath, [
      TICKSTORM,
      'serve',
      'execution-engine',
      '--durability',
      'maybe',
      ...EE,
    ]);
    assert.notEqual(flag.code, 0);
    assert.match(flag.stderr, /--durability must be fsync or write, got "maybe"/);
    const env = await run(process.execPath, [TICKSTORM, 'serve', 'execution-engine', ...EE], {
      ...process.env,
      TICKSTORM_DURABILITY: 'never',
    });
    assert.notEqual(env.code, 0);
    assert.match(env.stderr, /TICKSTORM_DURABILITY must be fsync or write/);
  });

  test('kill -9, restart: the order and its clientOrderId are back; --fresh starts empty with new ids', {
    timeout: 120_000,
  }, async () => {
    const dir = box.tmp();
    const a = await box.serve(['execution-engine', '--data-dir', dir, ...EE]);
    const url = a.urls['execution-engine'];
    let http = client();
    const placed = await http.post(
      `${url}/orders`,
      order('AAPL', 'buy', 'limit', 3, 99, { clientOrderId: 'k9-1' }),
    );
    assert.equal(placed.status, 201);
    a.child.kill('SIGKILL');
    await a.done;
    await http.close();
    http = client();
    const b = await box.serve(['execution-engine', '--data-dir', dir, ...EE]);
    const url2 = b.urls['execution-engine'];
    const got = await http.get(`${url2}/orders/${placed.body.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.status, 'new');
    assert.equal(got.body.clientOrderId, 'k9-1');
    const retry = await http.post(
      `${url2}/orders`,
      order('AAPL', 'buy', 'limit', 3, 99, { clientOrderId: 'k9-1' }),
    );
    assert.equal(retry.status, 409);
    assert.equal(retry.body.orderId, placed.body.id);
    const book = await http.get(`${url2}/book/AAPL`);
    assert.deepEqual(book.body.bids, [{ price: 99, quantity: 3, orders: 1 }]);
    b.child.kill('SIGTERM');
    assert.equal((await b.done).code, 0);
    await http.close();
    http = client();
    const c = await box.serve(['execution-engine', '--data-dir', dir, '--fresh', ...EE]);
    const url3 = c.urls['execution-engine'];
    assert.equal((await http.get(`${url3}/orders/${placed.body.id}`)).status, 404);
    const again = await http.post(
      `${url3}/orders`,
      order('AAPL', 'buy', 'limit', 3, 99, { clientOrderId: 'k9-1' }),
    );
    assert.equal(again.status, 201);
    assert.ok(Number(again.body.id) > Number(placed.body.id), 'ids never repeat');
    c.child.kill('SIGTERM');
    assert.equal((await c.done).code, 0);
    await http.close();
  });

  test('corruption in the middle of the journal refuses to start, naming the file and the byte', {
    timeout: 60_000,
  }, async () => {
    const dir = box.tmp();
    const a = await box.serve(['execution-engine', '--data-dir', dir, ...EE]);
    const url = a.urls['execution-engine'];
    const http = client();
    for (let i = 0; i < 3; i++) {
      assert.equal((await http.post(`${url}/orders`, order('AAPL', 'buy', 'limit', 1, 90 + i))).status, 201);
    }
    a.child.kill('SIGKILL');
    await a.done;
    await http.close();
    const log = join(dir, 'input-log-0.bin');
    const bytes = readFileSync(log);
    bytes[FILE_HEADER_SIZE + 40] ^= 0xff; // inside the first batch, with more after it
    writeFileSync(log, bytes);
    const f = await run(process.execPath, [TICKSTORM, 'serve', 'execution-engine', '--data-dir', dir, ...EE]);
    assert.notEqual(f.code, 0);
    assert.match(f.stderr, new RegExp(`${log.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*at byte \\d+`));
  });
});
