/**
 * Refusals made before a route runs still carry the contract's coded body
 * (`{"error":{"code","message"}}`): a request timeout (408), headers too large (431), a request
 * that is not HTTP (400), a path that does not decode (400) and a path parameter past the
 * router's length (414). Node and fastify answer these themselves unless told otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeUntilClose } from './support/raw-socket.ts';
import { type Fixture, type Json, startFixture } from './support/trading-fixture.ts';

/** Writes `data`, resolves with the status and parsed body of what was read until the close. */
async function exchange(port: number, data: string): Promise<{ status: number; body: Json; raw: string }> {
  const got = await writeUntilClose(port, data);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1] ?? 0);
  const text = got.slice(got.indexOf('\r\n\r\n') + 4);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status, body, raw: got };
}

describe('coded refusals before routing', () => {
  let f: Fixture;
  let port: number;
  before(async () => {
    f = await startFixture({
      services: ['execution-engine'],
      inputLog: false,
      limits: { headersTimeoutMs: 200, requestTimeoutMs: 400, checkIntervalMs: 50 },
    });
    port = f.sys.handles['execution-engine']!.port;
  });
  after(() => f.close());

  const coded = (r: { status: number; body: Json; raw: string }, status: number, code: string) => {
    assert.equal(r.status, status, r.raw);
    assert.equal(r.body?.error?.code, code, r.raw);
    assert.equal(typeof r.body.error.message, 'string');
  };

  test('a body that never completes: 408 TRD_ERR_REQUEST_TIMEOUT', async () => {
    const r = await exchange(
      port,
      'POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sym',
    );
    coded(r, 408, 'TRD_ERR_REQUEST_TIMEOUT');
  });

  test('headers past the size limit: 431 TRD_ERR_HEADERS_TOO_LARGE', async () => {
    const r = await exchange(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    coded(r, 431, 'TRD_ERR_HEADERS_TOO_LARGE');
  });

  test('not HTTP: 400 TRD_ERR_BAD_REQUEST', async () => {
    coded(await exchange(port, 'HELLO THERE\r\n\r\n'), 400, 'TRD_ERR_BAD_REQUEST');
  });

  test('a path that does not decode: 400 TRD_ERR_BAD_REQUEST', async () => {
    for (const path of ['/orders/%zz', '/book/%E0%A4%A']) {
      const r = await exchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      coded(r, 400, 'TRD_ERR_BAD_REQUEST');
    }
  });

  test('a path parameter past the router limit: 414 TRD_ERR_URI_TOO_LONG', async () => {
    const r = await exchange(
      port,
      `POST /admin/accounts/${'x'.repeat(500)}/halt HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
    );
    coded(r, 414, 'TRD_ERR_URI_TOO_LONG');
  });

  test('the service still answers afterwards', async () => {
    const h = await f.http.get(`${f.url('execution-engine')}/health`);
    assert.equal(h.status, 200);
  });
});
