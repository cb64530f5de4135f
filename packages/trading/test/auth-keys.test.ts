/**
 * The keys file (every problem named), signatures (the documented worked example), and
 * protected mode: the bind policy, and a non-loopback peer refused when there are no keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { signRequest } from '@tickstorm/protocol';
import { loadKeysFile, parseKeys } from '../src/auth/keys.ts';
import { checkBindPolicy, isLoopback } from '../src/auth/protected-mode.ts';
import { signatureMatches } from '../src/auth/request-auth.ts';
import { resolveServiceConfig } from '../src/config/service-config.ts';
import { startExecutionEngineService } from '../src/orders/execution-engine-service.ts';
import { Http } from './support/trading-fixture.ts';

describe('keys file', () => {
  test('a valid file loads; secrets are not printed', () => {
    const ks = parseKeys([
      { id: 't1', secret: 'a-long-enough-secret', role: 'trader', accounts: ['x', 'y'] },
    ]);
    const k = ks.get('t1')!;
    assert.deepEqual(k.accounts, ['x', 'y']);
    assert.ok(!JSON.stringify(k).includes('a-long-enough-secret'));
    assert.ok(!inspect(k).includes('a-long-enough-secret'));
    assert.deepEqual(ks.accounts(), ['x', 'y']);
  });

  test('every problem is named', () => {
    const bad = [
      { id: 'a', secret: 'short', role: 'trader' },
      { id: 'a', secret: 'a-long-enough-secret', role: 'root' },
      { id: 'v', secret: 'a-long-enough-secret', role: 'viewer', accounts: ['q'], extra: 1 },
    ];
    assert.throws(
      () => parseKeys(bad),
      (e: Error & { code?: string }) =>
        e.code === 'TRD_ERR_INVALID_CONFIG' &&
        /at least 16 bytes/.test(e.message) &&
        /needs at least one account/.test(e.message) &&
        /used twice/.test(e.message) &&
        /role must be one of/.test(e.message) &&
        /unknown field "extra"/.test(e.message) &&
        /only trader keys hold accounts/.test(e.message),
    );
  });

  test('unreadable or non-JSON files name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-keys-'));
    try {
      const p = join(dir, 'keys.json');
      writeFileSync(p, '{not json');
      assert.throws(() => loadKeysFile(p), /keys.json: not JSON/);
      assert.throws(() => loadKeysFile(join(dir, 'absent.json')), /absent.json: cannot read: ENOENT/);
      writeFileSync(p, '{}');
      assert.throws(() => loadKeysFile(p), /expected a JSON array/);
      // A byte order mark (Notepad) is not "unexpected token": the file loads.
      writeFileSync(p, '\ufeff[{"id":"k","secret":"a-long-enough-secret","role":"viewer"}]');
      assert.equal(loadKeysFile(p).get('k')?.role, 'viewer');
      // JSON.parse quotes the text around an unexpected token: a secret must not reach the message.
      for (const text of [
        '[{"id":"k","secret":SUPERSECRETVALUE123456,"role":"admin"}]',
        '[{"id":"k","secret":"SUPERSECRETVALUE123456" "role":"admin"}]',
        '[{"id":"k","secret":"SUPERSECRETVALUE123456"}]xyz',
      ]) {
        writeFileSync(p, text);
        assert.throws(
          () => loadKeysFile(p),
          (e: Error) =>
            /keys.json: not JSON/.test(e.message) && !/SUPERSECRE|SECRETVAL|123456/.test(e.message),
          text,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('signatures', () => {
  test('the worked example of docs/security.md', () => {
    const sig = signRequest(
      'trader-a-secret-0123456789',
      '1767225600000',
      'POST',
      '/orders',
      '{"symbol":"AAPL","side":"buy","type":"limit","quantity":1,"price":100}',
    );
    assert.equal(sig, '4f6f994ab45b3b4c10e820ae0c3aa9f3827aaa357b52a2eeafe97eebd109d3d5');
  });

  test('comparison: equal only when identical, any length', () => {
    const s = signRequest('k'.repeat(16), '1', 'GET', '/');
    assert.ok(signatureMatches(s, s));
    assert.ok(!signatureMatches(s, s.toUpperCase()));
    assert.ok(!signatureMatches(s, s.slice(1)));
    assert.ok(!signatureMatches(s, ''));
  });
});

describe('protected mode', () => {
  test('bind policy: loopback fine, non-loopback refused without keys unless --insecure-no-auth', () => {
    assert.match(checkBindPolicy('127.0.0.1', false, false), /protected mode/);
    // Keys win over --insecure-no-auth, and the start line says so.
    assert.match(checkBindPolicy('0.0.0.0', true, true), /--insecure-no-auth has no effect with keys/);
    assert.doesNotMatch(checkBindPolicy('0.0.0.0', true, false), /insecure/);
    assert.match(checkBindPolicy('::1', false, false), /protected mode/);
    assert.match(checkBindPolicy('0.0.0.0', true, false), /signed requests/);
    assert.match(checkBindPolicy('0.0.0.0', false, true), /OFF/);
    assert.throws(
      () => checkBindPolicy('0.0.0.0', false, false),
      /refusing to listen on 0.0.0.0 without keys/,
    );
    // a name that starts like a loopback address can resolve anywhere
    assert.throws(() => checkBindPolicy('127.0.0.1.example.com', false, false), /refusing to listen/);
  });

  test('--host [::1] (URL form) listens on ::1, in protected mode', () => {
    const c = resolveServiceConfig({ host: '[::1]' }, {});
    assert.equal(c.host, '::1');
    assert.match(checkBindPolicy(c.host, false, false), /protected mode/);
    assert.equal(resolveServiceConfig({ host: '::1' }, {}).host, '::1');
  });

  test('loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1']) assert.ok(isLoopback(a), a);
    for (const a of [
      '10.0.0.1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
      '127.0.0.1.example.com',
      '127.example',
      undefined,
    ])
      assert.ok(!isLoopback(a), String(a));
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
  test('without keys a non-loopback peer gets 403 TRD_ERR_LOOPBACK_ONLY', {
    skip: external === undefined,
  }, async () => {
    const svc = await startExecutionEngineService({
      instruments: undefined as never,
      gateway: { pending: 0 } as never,
      counters: undefined as never,
      liveOrders: () => 0,
      bookOf: () => undefined as never,
      host: external!,
      port: 0,
    });
    const http = new Http();
    try {
      const r = await http.get(`${svc.url}/stats`);
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'TRD_ERR_LOOPBACK_ONLY');
    } finally {
      await http.close();
      await svc.close();
    }
  });
});
