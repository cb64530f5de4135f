/** The VU cookie jar of scripts: which Set-Cookie is kept, and which cookies go to which URL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CookieJar } from '../src/clients/cookie-jar.ts';

const names = (jar: CookieJar, url: string) => jar.matching(new URL(url)).map((c) => `${c.name}=${c.value}`);

test('domain, path and Secure decide where a cookie goes', () => {
  const jar = new CookieJar();
  const from = new URL('http://app.shop.test/account/login');
  jar.store(from, [
    'host=1', // host-only, path /account (the request path's directory)
    'wide=2; Domain=.shop.test; Path=/',
    'api=3; Path=/api',
    'sec=4; Path=/; Secure',
    'other=5; Domain=evil.test; Path=/', // another domain: refused
  ]);
  assert.deepEqual(names(jar, 'http://app.shop.test/account/x'), ['host=1', 'wide=2']);
  assert.deepEqual(names(jar, 'http://www.shop.test/'), ['wide=2']);
  assert.deepEqual(names(jar, 'http://app.shop.test/api/v1'), ['api=3', 'wide=2']);
  assert.deepEqual(names(jar, 'http://app.shop.test/apiary'), ['wide=2']);
  assert.deepEqual(names(jar, 'https://app.shop.test/'), ['wide=2', 'sec=4']);
  assert.deepEqual(names(jar, 'http://evil.test/'), []);
});

test('Max-Age and Expires end a cookie; a new value replaces the old', () => {
  const jar = new CookieJar();
  const u = new URL('http://a.test/');
  const now = 1_000_000;
  jar.store(u, ['a=1; Max-Age=10', 'b=1', `c=1; Expires=${new Date(now + 5000).toUTCString()}`], now);
  jar.store(u, ['b=2'], now);
  assert.deepEqual(
    jar.matching(u, now + 1000).map((c) => `${c.name}=${c.value}`),
    ['a=1', 'b=2', 'c=1'],
  );
  assert.deepEqual(
    jar.matching(u, now + 6000).map((c) => c.name),
    ['a', 'b'],
  );
  jar.store(u, ['a=; Max-Age=0'], now + 7000);
  assert.deepEqual(
    jar.matching(u, now + 7000).map((c) => c.name),
    ['b'],
  );
  jar.reset();
  assert.deepEqual(jar.matching(u, now), []);
});
