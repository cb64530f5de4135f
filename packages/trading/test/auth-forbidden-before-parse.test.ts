/**
 * A key without the route's right gets 403 TRD_ERR_FORBIDDEN whatever its body holds: the role
 * is checked once the signature is, before the JSON is parsed. Before, a viewer's or a
 * trader's body that was not JSON (or not valid for the route) was answered 400
 * PRT_ERR_MALFORMED_JSON, and the client fixed its JSON only to be refused then; the server
 * parsed a body of up to 16 MiB for a key that could never send it. A bad signature is still
 * 401 first, and a key with the right still gets the 400.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authHeaders, type Identity, keyStore } from './support/auth-fixture.ts';
import { codedError, type Fixture, startFixture } from './support/trading-fixture.ts';

describe('forbidden before the body is parsed', () => {
  let f: Fixture;
  before(async () => {
    f = await startFixture({ security: { keys: keyStore() }, inputLog: false });
  });
  after(() => f.close());

  const send = (who: Identity, service: 'execution-engine' | 'api', path: string, body: string) => {
    const headers = { ...authHeaders(who, 'POST', path, body), 'content-type': 'application/json' };
    return f.http.send('POST', `${f.url(service)}${path}`, body, headers);
  };

  const cases: [who: Identity, service: 'execution-engine' | 'api', path: string][] = [
    ['viewer', 'execution-engine', '/orders'],
    ['feed', 'execution-engine', '/orders'],
    ['owner', 'api', '/api/metrics'],
    ['viewer', 'execution-engine', '/admin/accounts/acct-a/halt'],
  ];
  for (const [who, service, path] of cases) {
    test(`${who} POST ${path} with a body that is not JSON: 403, not 400`, async () => {
      const r = await send(who, service, path, 'x'.repeat(10_000));
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(codedError(r).code, 'TRD_ERR_FORBIDDEN');
    });
  }

  test('a bad signature is still 401; a key with the right still gets the 400', async () => {
    const bad = await send('badSig', 'execution-engine', '/orders', 'x'.repeat(100));
    assert.equal(bad.status, 401);
    assert.equal(codedError(bad).code, 'TRD_ERR_BAD_SIGNATURE');
    const owner = await send('owner', 'execution-engine', '/orders', 'x'.repeat(100));
    assert.equal(owner.status, 400);
    assert.equal(codedError(owner).code, 'PRT_ERR_MALFORMED_JSON');
    const admin = await send('admin', 'execution-engine', '/admin/accounts/acct-a/halt', '{"nope":');
    assert.equal(admin.status, 400);
  });
});
