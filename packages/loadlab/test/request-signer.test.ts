/**
 * The lab signs prebuilt requests: the bytes carry X-TS-Key/Timestamp/Signature over the
 * exact method, path and body, re-signed once the refresh period passed and reused before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signRequest } from '@tickstorm/protocol';
import { prepareRequest } from '../src/clients/http-request.ts';
import { envSigner, RequestSigner } from '../src/clients/request-signer.ts';

function parse(bytes: Buffer): { headers: Record<string, string>; body: string; line: string } {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const [line, ...rest] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const h of rest) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
  }
  return { headers, body: text.slice(end + 4), line };
}

test('a signed prebuilt request verifies, and is reused within the refresh period', () => {
  const signer = new RequestSigner('k1', 'secret-0123456789abcdef', 60_000);
  const body = '{"symbol":"AAPL","side":"buy","type":"market","quantity":1}';
  const req = prepareRequest(
    'http://127.0.0.1:5002',
    { method: 'POST', path: '/orders?x=1', body, headers: { 'Content-Type': 'application/json' } },
    signer,
  );
  const b1 = req.bytes;
  const { headers, body: sent, line } = parse(b1);
  assert.equal(line, 'POST /orders?x=1 HTTP/1.1');
  assert.equal(sent, body);
  assert.equal(headers['x-ts-key'], 'k1');
  assert.equal(
    headers['x-ts-signature'],
    signRequest('secret-0123456789abcdef', headers['x-ts-timestamp'], 'POST', '/orders?x=1', body),
  );
  assert.equal(Number(headers['content-length']), Buffer.byteLength(body));
  assert.equal(req.bytes, b1, 'same Buffer within the refresh period');
});

test('a refresh period of 0 re-signs every time', () => {
  const signer = new RequestSigner('k1', 'secret-0123456789abcdef', 0);
  const req = prepareRequest('http://127.0.0.1:5002', { path: '/stats' }, signer);
  assert.notEqual(req.bytes, req.bytes);
});

test('without env keys requests are unsigned', () => {
  delete process.env.TICKSTORM_KEY_ID;
  assert.equal(envSigner(), null);
  const req = prepareRequest('http://127.0.0.1:5002', { path: '/stats' });
  assert.ok(!req.bytes.toString().includes('X-TS-Key'));
  process.env.TICKSTORM_KEY_ID = 'env-key';
  process.env.TICKSTORM_KEY_SECRET = 'env-secret-0123456789';
  try {
    assert.equal(envSigner()?.keyId, 'env-key');
    assert.ok(
      prepareRequest('http://127.0.0.1:5002', { path: '/stats' })
        .bytes.toString()
        .includes('X-TS-Key: env-key'),
    );
  } finally {
    delete process.env.TICKSTORM_KEY_ID;
    delete process.env.TICKSTORM_KEY_SECRET;
  }
});
