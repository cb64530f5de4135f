/**
 * `sslmode` in a PostgreSQL metrics store URL. An unknown value (node-postgres would turn TLS on
 * for it) is refused before anything connects: TRD_ERR_INVALID_CONFIG naming the parameter and
 * the allowed values, the password never shown, `serve` exiting 2. The accepted values do what
 * docs/metrics-store.md says, against real servers this file starts (support/postgres.ts): one
 * without TLS, one with TLS on a self-signed certificate made here (openssl).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TradingErrorCode } from '../src/errors.ts';
import { openMetricsStore } from '../src/metrics-store/open-store.ts';
import { checkPgSslMode, PG_SSLMODES } from '../src/metrics-store/pg-sslmode.ts';
import { PostgresMetricsStore } from '../src/metrics-store/pg-store.ts';
import { run, TICKSTORM, ZERO_PORT_FLAGS } from './support/child-process.ts';
import { type PgServer, startPgServer } from './support/postgres.ts';

const ALLOWED = 'disable, allow, prefer, require, verify-ca, verify-full, no-verify';
/** Nothing listens on port 1: a store that tried to connect would fail with ECONNREFUSED instead. */
const NOWHERE = 'postgres://ts:s3cret@127.0.0.1:1/metrics';

function refusal(value: string, from = 'sslmode') {
  return (err: unknown) => {
    const e = err as { code?: string; field?: string; message: string };
    assert.equal(e.code, TradingErrorCode.INVALID_CONFIG, e.message);
    assert.equal(e.field, 'sslmode');
    assert.ok(e.message.includes(`${from} ${JSON.stringify(value)} is not a TLS mode`), e.message);
    assert.ok(e.message.includes(`sslmode must be one of ${ALLOWED}`), e.message);
    assert.doesNotMatch(e.message, /s3cret/, 'the password is never shown');
    return true;
  };
}

describe('sslmode: unknown values are refused before connecting', () => {
  for (const [value, query] of [
    ['bogus', 'sslmode=bogus'],
    ['', 'sslmode='],
    ['Require', 'sslmode=Require'],
    ['verify_full', 'sslmode=verify_full'],
    ['bogus', 'sslmode=disable&sslmode=bogus'],
    ['bogus', 'password=s3cret&sslmode=bogus'],
  ] as const) {
    test(`?${query}`, async () => {
      await assert.rejects(openMetricsStore(`${NOWHERE}?${query}`), refusal(value));
    });
  }

  test('every accepted value passes the check (then the connection fails: nothing listens)', async () => {
    assert.deepEqual([...PG_SSLMODES].join(', '), ALLOWED);
    for (const mode of PG_SSLMODES) {
      await assert.rejects(
        PostgresMetricsStore.open(`${NOWHERE}?sslmode=${mode}`, { connectTimeoutMs: 2000 }),
        (e: { code?: string; message: string }) => {
          assert.equal(e.code, TradingErrorCode.SERVICE_UNAVAILABLE, `${mode}: ${e.message}`);
          assert.doesNotMatch(e.message, /s3cret/);
          return true;
        },
      );
    }
  });

  test('PGSSLMODE is checked when node-postgres reads it (no TLS parameter in the URL)', () => {
    assert.throws(() => checkPgSslMode(NOWHERE, { PGSSLMODE: 'bogus' }), refusal('bogus', 'PGSSLMODE'));
    checkPgSslMode(NOWHERE, { PGSSLMODE: 'require' });
    checkPgSslMode(NOWHERE, { PGSSLMODE: '' });
    // node-postgres ignores PGSSLMODE once the URL has a TLS parameter; so does the check
    checkPgSslMode(`${NOWHERE}?sslmode=disable`, { PGSSLMODE: 'bogus' });
    checkPgSslMode(`${NOWHERE}?ssl=true`, { PGSSLMODE: 'bogus' });
  });

  test('serve --metrics-store ...?sslmode=bogus exits 2 naming sslmode, no password, no stack', {
    timeout: 60_000,
  }, async () => {
    const data = mkdtempSync(join(tmpdir(), 'tickstorm-sslmode-'));
    try {
      const f = await run(process.execPath, [
        TICKSTORM,
        'serve',
        '--data-dir',
        data,
        ...ZERO_PORT_FLAGS,
        '--metrics-store',
        `${NOWHERE}?sslmode=bogus`,
      ]);
      assert.equal(f.code, 2, f.stderr);
      assert.match(
        f.stderr,
        /sslmode "bogus" is not a TLS mode; sslmode must be one of disable, allow, prefer/,
      );
      assert.match(f.stderr, /postgres:\/\/ts:\*\*\*@127\.0\.0\.1:1\/metrics\?sslmode=bogus/);
      assert.doesNotMatch(f.stdout + f.stderr, /s3cret/);
      assert.doesNotMatch(f.stderr, /\bat .*\.ts:\d+|"stack"/, 'a configuration error prints no stack trace');
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

/** Whether the store's own connection uses TLS (pg_stat_ssl of its backend). */
async function tlsInUse(store: PostgresMetricsStore): Promise<boolean> {
  const [row] = await store.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
  return row.ssl === true;
}

describe('sslmode against a server without TLS', () => {
  let server: PgServer;
  before(async () => {
    server = await startPgServer({ fsync: false });
  });
  after(() => server?.stop());

  test('disable connects in plain text', async () => {
    const store = await PostgresMetricsStore.open(`${server.url}?sslmode=disable`);
    try {
      assert.equal(await tlsInUse(store), false);
    } finally {
      await store.close();
    }
  });

  test('every other mode needs TLS: no fall back to plain text (allow and prefer included)', async () => {
    for (const mode of ['allow', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify']) {
      await assert.rejects(PostgresMetricsStore.open(`${server.url}?sslmode=${mode}`), {
        code: TradingErrorCode.METRICS_STORE,
        message: /The server does not support SSL connections/,
      });
    }
  });

  test('PGSSLMODE=allow (the URL without TLS parameters) is plain text; PGSSLMODE=require needs TLS', async () => {
    const saved = process.env.PGSSLMODE;
    try {
      process.env.PGSSLMODE = 'allow';
      const store = await PostgresMetricsStore.open(server.url);
      try {
        assert.equal(await tlsInUse(store), false);
      } finally {
        await store.close();
      }
      process.env.PGSSLMODE = 'require';
      await assert.rejects(PostgresMetricsStore.open(server.url), {
        code: TradingErrorCode.METRICS_STORE,
        message: /The server does not support SSL connections/,
      });
    } finally {
      if (saved === undefined) delete process.env.PGSSLMODE;
      else process.env.PGSSLMODE = saved;
    }
  });
});

describe('sslmode against a server with TLS (self-signed certificate)', () => {
  let server: PgServer;
  let certs: string;
  let ca: string;
  before(async () => {
    certs = mkdtempSync(join(tmpdir(), 'tickstorm-pg-tls-'));
    ca = join(certs, 'server.crt');
    const key = join(certs, 'server.key');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        ca,
      ],
      { stdio: 'ignore' },
    );
    chmodSync(key, 0o600);
    if (process.getuid?.() === 0) {
      // the server runs as the postgres user (support/postgres.ts), which must own its key
      const id = (flag: string) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      for (const p of [certs, key, ca]) chownSync(p, id('-u'), id('-g'));
    }
    server = await startPgServer({
      fsync: false,
      settings: { ssl: 'on', ssl_cert_file: ca, ssl_key_file: key },
    });
  });
  after(async () => {
    await server?.stop();
    rmSync(certs, { recursive: true, force: true });
  });

  async function opens(query: string, tls: boolean): Promise<void> {
    const store = await PostgresMetricsStore.open(`${server.url}?${query}`);
    try {
      assert.equal(await tlsInUse(store), tls, query);
    } finally {
      await store.close();
    }
  }

  test('prefer, require, verify-ca and verify-full verify the certificate (an unknown CA is refused)', async () => {
    for (const mode of ['allow', 'prefer', 'require', 'verify-ca', 'verify-full']) {
      await assert.rejects(PostgresMetricsStore.open(`${server.url}?sslmode=${mode}`), {
        code: TradingErrorCode.METRICS_STORE,
        message: /self-signed certificate/,
      });
    }
  });

  test('with sslrootcert naming the CA they connect over TLS', async () => {
    for (const mode of ['allow', 'prefer', 'require', 'verify-ca', 'verify-full']) {
      await opens(`sslmode=${mode}&sslrootcert=${encodeURIComponent(ca)}`, true);
    }
  });

  test('no-verify, and require with uselibpqcompat=true, use TLS without checking the certificate', async () => {
    await opens('sslmode=no-verify', true);
    await opens('sslmode=require&uselibpqcompat=true', true);
    await opens('sslmode=prefer&uselibpqcompat=true', true);
  });

  test('disable stays in plain text on a server that offers TLS', async () => {
    await opens('sslmode=disable', false);
  });
});
