/** k6's error codes and status text of a script's response (script/http-error-code.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { k6ErrorCode, k6StatusText } from '../src/script/http-error-code.ts';

test("k6's error codes: timeouts, DNS, TLS, and 1000 for the rest", () => {
  assert.equal(k6ErrorCode(200, null), 0);
  assert.equal(k6ErrorCode(302, null), 0);
  assert.equal(k6ErrorCode(404, null), 1404);
  assert.equal(k6ErrorCode(0, 'timeout'), 1050);
  assert.equal(k6ErrorCode(0, 'ENOTFOUND'), 1101);
  assert.equal(k6ErrorCode(0, 'ECONNRESET'), 1220);
  assert.equal(k6ErrorCode(0, 'DEPTH_ZERO_SELF_SIGNED_CERT'), 1310);
  assert.equal(k6ErrorCode(0, 'ERR_TLS_CERT_ALTNAME_INVALID'), 1311);
  assert.equal(k6ErrorCode(0, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 1300);
  assert.equal(k6ErrorCode(0, 'something else'), 1000);
  assert.equal(k6StatusText(0), '');
  assert.equal(k6StatusText(429), '429 Too Many Requests');
});
