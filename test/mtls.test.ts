/**
 * Client certificates (mutual TLS): a test CA made with openssl signs the server's certificate
 * and a client's (CN loadlab-client); the https server (with a WebSocket endpoint) requires a
 * client certificate its CA signed. The raw client, `tickstorm http --cert --key`, a script's
 * options.tlsAuth (http and wss) and `tickstorm swarm --cert --key` get through and the server
 * sees the client's CN; without a certificate each request fails, saying why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import {
  clientCertFor,
  HttpClient,
  prepareRequest,
  RequestEvents,
  tlsCertHint,
  tlsConnectOptions,
} from '@tickstorm/loadlab';
import { WebSocketServer } from 'ws';
import { caSignedCert, selfSignedCert } from './support/certs.ts';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm as run } from './support/cli.ts';
import { assertOrdersRanClean } from './support/order-stress-verdict.ts';

let dir: string;
let server: https.Server;
let wss: WebSocketServer;
let origin: string;
/** The CN of each client certificate the server accepted a request with. */
const seen: string[] = [];
const f = (name: string) => join(dir, name);
/** The client certificate and its key, as flags. */
const certFlags = () => ['--cert', f('client.pem'), '--key', f('client.key')];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-mtls-'));
  selfSignedCert({ cwd: dir, key: 'ca.key', cert: 'ca.pem', cn: 'Test CA', days: 2 });
  const ca = { cwd: dir, caKey: 'ca.key', caCert: 'ca.pem', days: 2 };
  caSignedCert({ ...ca, key: 'server.key', cert: 'server.pem', cn: 'localhost', san: 'IP:127.0.0.1' });
  caSignedCert({ ...ca, key: 'client.key', cert: 'client.pem', cn: 'loadlab-client' });
  selfSignedCert({ cwd: dir, key: 'stranger.key', cert: 'stranger.pem', cn: 'stranger', days: 2 });
  execFileSync(
    'openssl',
    ['pkey', '-in', 'client.key', '-aes256', '-passout', 'pass:secret', '-out', 'client-enc.key'],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  writeFileSync(
    f('client-both.pem'),
    readFileSync(f('client.pem'), 'utf8') + readFileSync(f('client.key'), 'utf8'),
  );
  server = https.createServer(
    {
      key: readFileSync(f('server.key')),
      cert: readFileSync(f('server.pem')),
      ca: readFileSync(f('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const cn = String((req.socket as TLSSocket).getPeerCertificate().subject?.CN);
      seen.push(cn);
      req.resume();
      req.on('end', () => {
        res.writeHead(req.url === '/orders' ? 201 : 200);
        res.end(cn);
      });
    },
  );
  wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    ws.on('message', () => ws.send(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const pem = (name: string) => readFileSync(f(name), 'utf8');

test('the raw client presents its certificate on every connection; without one each request fails with the reason', async () => {
  const req = prepareRequest(`${origin}/who`);
  const clientCerts = [{ cert: pem('client.pem'), key: pem('client.key') }];
  const c = new HttpClient({
    url: origin,
    connections: 2,
    events: new RequestEvents(),
    tls: { ca: pem('ca.pem'), clientCerts },
  });
  await c.connectAll();
  const [a, b] = await Promise.all([c.request(req), c.request(req)]);
  assert.deepEqual([a.status, b.status, a.ok], [200, 200, true]);
  assert.equal(c.connects, 2);
  await c.close();
  assert.deepEqual(seen.slice(-2), ['loadlab-client', 'loadlab-client']);

  const none = new HttpClient({
    url: origin,
    connections: 1,
    events: new RequestEvents(),
    tls: { ca: pem('ca.pem') },
  });
  const r = await none.request(req);
  await none.close();
  assert.equal(r.ok, false);
  assert.match(String(r.error), /CERTIFICATE_REQUIRED|ECONNRESET|EPIPE/);
  assert.match(
    String(tlsCertHint('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')),
    /requires a client certificate.*--cert FILE --key FILE/,
  );
});

test('one secure context per client certificate, shared by every connection; tlsAuth-style domains pick the certificate', () => {
  const ca = pem('ca.pem');
  const mine = { cert: pem('client.pem'), key: pem('client.key') };
  const tls = { ca, clientCerts: [mine] };
  const a = tlsConnectOptions('127.0.0.1', tls).secureContext;
  assert.ok(a !== undefined && a === tlsConnectOptions('127.0.0.1', tls).secureContext);
  assert.notEqual(
    a,
    tlsConnectOptions('127.0.0.1', { ca }).secureContext,
    'no certificate: the CA-only context',
  );

  const api = { ...mine, domains: ['API.example.com', '*.internal.test'] };
  const other = { ...mine, domains: ['10.0.0.1'] };
  const rest = { ...mine };
  const list = [api, other, rest];
  assert.equal(clientCertFor(list, 'api.example.com'), api);
  assert.equal(clientCertFor(list, 'db.internal.test'), api);
  assert.equal(clientCertFor(list, 'a.b.internal.test'), rest, 'a wildcard covers one label');
  assert.equal(clientCertFor(list, '10.0.0.1'), other);
  assert.equal(clientCertFor(list, 'elsewhere.org'), rest, 'no domains: every host');
  assert.equal(clientCertFor([api], 'elsewhere.org'), undefined);
  assert.equal(clientCertFor([{ ...mine, domains: [] }], 'elsewhere.org')?.cert, mine.cert);
});

test('tickstorm http --cert --key: every request gets through; without them each fails, saying a certificate is required', async () => {
  const json = f('http.json');
  const before = seen.length;
  const ok = await run([
    'http',
    `${origin}/`,
    '-c',
    '2',
    '-d',
    '1',
    '--ca',
    f('ca.pem'),
    ...certFlags(),
    '--json',
    json,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /client certificate: CN=loadlab-client, valid until .+ \(mutual TLS\)/);
  assert.doesNotMatch(readFileSync(json, 'utf8'), /PRIVATE KEY/, 'the key stays out of the report');
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.ok(j.requests > 10, `requests ${j.requests}`);
  assert.equal(j.errors, 0);
  assert.ok(seen.length - before >= j.requests);
  assert.ok(seen.slice(before).every((cn) => cn === 'loadlab-client'));

  // curl's way: one file with the certificate and its key
  const both = await run([
    'http',
    `${origin}/`,
    '-c',
    '1',
    '-d',
    '0.3',
    '--ca',
    f('ca.pem'),
    '--cert',
    f('client-both.pem'),
    '--json',
    json,
  ]);
  assert.equal(both.code, 0, both.stderr);
  assert.equal(JSON.parse(readFileSync(json, 'utf8')).errors, 0);

  // Each request without (or with a stranger's) certificate fails at its handshake; the run
  // lasts long enough for some to end: 0.3 s (and its 2 s grace) saw none end at load 16.
  const none = await run(['http', `${origin}/`, '-c', '1', '-d', '1.5', '--ca', f('ca.pem'), '--json', json]);
  assert.equal(none.code, 0, none.stderr);
  const n = JSON.parse(readFileSync(json, 'utf8'));
  assert.ok(n.requests > 0 && n.errors === n.requests, JSON.stringify(n));
  assert.match(
    none.stdout,
    /failure: GET \/: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED x\d+ \(the server requires a client certificate/,
  );

  // a certificate the server's CA did not sign
  const stranger = await run([
    'http',
    `${origin}/`,
    '-c',
    '1',
    '-d',
    '1.5',
    '--ca',
    f('ca.pem'),
    '--cert',
    f('stranger.pem'),
    '--key',
    f('stranger.key'),
    '--json',
    json,
  ]);
  assert.equal(stranger.code, 0, stranger.stderr);
  const s = JSON.parse(readFileSync(json, 'utf8'));
  assert.ok(s.requests > 0 && s.errors === s.requests, JSON.stringify(s));
});

test('a TLS 1.2 server that requires a certificate: tickstorm http says so before the load (exit 1), and --cert --key get through', async () => {
  const old = https.createServer(
    {
      maxVersion: 'TLSv1.2',
      key: readFileSync(f('server.key')),
      cert: readFileSync(f('server.pem')),
      ca: readFileSync(f('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (_req, res) => res.end('ok'),
  );
  await new Promise<void>((r) => old.listen(0, '127.0.0.1', r));
  try {
    const url = `https://127.0.0.1:${(old.address() as AddressInfo).port}/`;
    const none = await run(['http', url, '-d', '0.3', '--ca', f('ca.pem')]);
    assert.equal(none.code, 1, none.stderr);
    assert.match(
      none.stderr,
      /refused the TLS handshake \(ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE\): if it requires a client certificate, present one with --cert FILE --key FILE/,
    );
    const json = f('tls12.json');
    const ok = await run([
      'http',
      url,
      '-c',
      '1',
      '-d',
      '0.3',
      '--ca',
      f('ca.pem'),
      ...certFlags(),
      '--json',
      json,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const j = JSON.parse(readFileSync(json, 'utf8'));
    assert.ok(j.requests > 0 && j.errors === 0, JSON.stringify(j));
  } finally {
    old.closeAllConnections();
    await new Promise<void>((r) => old.close(() => r()));
  }
});

test('tickstorm http: an unreadable, malformed or mismatched --cert/--key is exit 104 naming the flag', async () => {
  writeFileSync(f('signing.json'), '{"id":"k","secret":"s"}');
  writeFileSync(f('junk.pem'), '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
  // a pair that parses and matches, but below OpenSSL's security level (a 512-bit RSA key)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:512',
      '-nodes',
      '-subj',
      '/CN=weak',
      '-keyout',
      'weak.key',
      '-out',
      'weak.pem',
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const cases: [string[], RegExp][] = [
    [['--cert', f('nope.pem'), '--key', f('client.key')], /--cert .*nope\.pem: cannot read it \(ENOENT\)/],
    [['--cert', f('client.key'), '--key', f('client.key')], /--cert .*client\.key: not a PEM certificate/],
    [
      ['--cert', f('junk.pem'), '--key', f('client.key')],
      /--cert .*junk\.pem: certificate 1 of 1 is not a valid PEM certificate/,
    ],
    [
      ['--cert', f('client.pem'), '--key', f('signing.json')],
      /--key .*signing\.json: not a PEM private key .*--key-file/,
    ],
    [
      ['--cert', f('client.pem'), '--key', f('stranger.key')],
      /--key .*stranger\.key is not the key of --cert .*client\.pem/,
    ],
    [
      ['--cert', f('weak.pem'), '--key', f('weak.key')],
      /--cert .*weak\.pem with --key .*weak\.key: OpenSSL refuses them as a client certificate \(ERR_SSL_EE_KEY_TOO_SMALL/,
    ],
    [['--cert', f('client.pem')], /--cert .*client\.pem: holds no private key: give it with --key FILE/],
    [['--key', f('client.key')], /--key needs --cert FILE/],
  ];
  for (const [flags, want] of cases) {
    const r = await run(['http', `${origin}/`, '-d', '0.2', ...flags]);
    assert.equal(r.code, 104, `${flags.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want);
  }
});

function script(name: string, tlsAuth: string): string {
  const file = f(name);
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
import ws from 'tickstorm/ws';
import { check } from 'tickstorm';
export const options = {
  vus: 1,
  iterations: 2,
  tlsAuth: ${tlsAuth},
  thresholds: { http_req_failed: ['rate==0'], checks: ['rate==1'] },
};
export async function setup() {
  return { who: (await http.get('${origin}/setup')).body };
}
export default async function (data) {
  check(data, { 'setup() too': (d) => d.who === 'loadlab-client' });
  const r = await http.get('${origin}/script');
  check(r, { 'the server saw the client': (x) => x.body === 'loadlab-client' });
  const s = await ws.connect('${origin.replace('https', 'wss')}/');
  s.send('who');
  const cn = await s.next(5000);
  check(cn, { 'wss too': (x) => x === 'loadlab-client' });
  await s.close();
}
`,
  );
  return file;
}

test("a script's options.tlsAuth: the entry for the host (or one without domains) is presented over https and wss", async () => {
  const certs = `{ cert: open('./client.pem'), key: open('./client.key') }`;
  const forHost = await run([
    'run',
    script(
      'for-host.ts',
      `[{ domains: ['other.example'], cert: open('./stranger.pem'), key: open('./stranger.key') }, { domains: ['127.0.0.1'], ...${certs} }]`,
    ),
    '--ca',
    f('ca.pem'),
  ]);
  assert.equal(forHost.code, 0, forHost.stderr + forHost.stdout);
  const anyHost = await run(['run', script('any-host.ts', `[${certs}]`), '--ca', f('ca.pem')]);
  assert.equal(anyHost.code, 0, anyHost.stderr + anyHost.stdout);

  // an entry for another host is not presented: each request fails, and the reason is said once
  const other = await run([
    'run',
    script('other-host.ts', `[{ domains: ['*.example.com'], ...${certs} }]`),
    '--ca',
    f('ca.pem'),
  ]);
  assert.equal(other.code, 99, other.stderr + other.stdout);
  assert.match(other.stderr, /requires a client certificate \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\)/);
});

test('run --cert/--key (or TICKSTORM_CERT/TICKSTORM_KEY): a script without tlsAuth, and a built-in scenario, present the certificate', async () => {
  const flags = await run(['run', script('flags.ts', '[]'), '--ca', f('ca.pem'), ...certFlags()]);
  assert.equal(flags.code, 0, flags.stderr + flags.stdout);

  const json = f('run.json');
  const before = seen.length;
  const env = { TICKSTORM_CA: f('ca.pem'), TICKSTORM_CERT: f('client.pem'), TICKSTORM_KEY: f('client.key') };
  const r = await run(
    [
      'run',
      'order-stress',
      '--orders-url',
      origin,
      '--rate',
      '40',
      '--duration',
      '1s',
      '--no-watch',
      '--no-bench',
      '--json',
      json,
    ],
    env,
  );
  assert.doesNotMatch(readFileSync(json, 'utf8'), /PRIVATE KEY/, 'the key stays out of the report');
  const s = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
  // 40 orders with the client certificate, each answered; throughput and latency are the box's
  assertOrdersRanClean(r.code, s, 40, r.stderr + r.stdout);
  assert.ok(
    seen.slice(before).length >= s.requests && seen.slice(before).every((cn) => cn === 'loadlab-client'),
  );

  const bad = await run(['run', 'order-stress', '--orders-url', origin, '--no-watch', '--no-bench'], {
    ...env,
    TICKSTORM_KEY: f('stranger.key'),
  });
  assert.equal(bad.code, 104, bad.stderr);
  assert.match(bad.stderr, /--key \(from TICKSTORM_KEY\) .*stranger\.key is not the key of --cert/);
});

test("options.tlsAuth with a key that is not the certificate's, or not PEM, is exit 104 naming the entry", async () => {
  const r = await run([
    'run',
    script(
      'bad-auth.ts',
      `[{ domains: ['127.0.0.1'], cert: open('./client.pem'), key: open('./stranger.key') }, { cert: 'x', key: open('./client.key') }, { cert: open('./client.pem'), key: open('./client-enc.key') }, { cert: open('./client.pem'), key: open('./client-enc.key'), password: 'nope' }]`,
    ),
  ]);
  assert.equal(r.code, 104, r.stderr);
  assert.match(r.stderr, /options\.tlsAuth\[0\]\.key is not the key of options\.tlsAuth\[0\]\.cert/);
  assert.match(r.stderr, /options\.tlsAuth\[1\]\.cert: not a PEM certificate/);
  assert.match(
    r.stderr,
    /options\.tlsAuth\[2\]\.key: the key is encrypted \(give a key without a passphrase, or its password\)/,
  );
  assert.match(r.stderr, /options\.tlsAuth\[3\]\.key: not a valid private key \(wrong password/);
  // the right password opens it
  const pw = await run([
    'run',
    script(
      'password.ts',
      `[{ cert: open('./client.pem'), key: open('./client-enc.key'), password: 'secret' }]`,
    ),
    '--ca',
    f('ca.pem'),
  ]);
  assert.equal(pw.code, 0, pw.stderr + pw.stdout);
});

/** A swarm user file: one class, one request per task. */
function usersFile(): string {
  const users = f('users.ts');
  writeFileSync(
    users,
    `import { constant, HttpUser, tasks } from '@tickstorm/loadlab/swarm';
export class Caller extends HttpUser {
  static tasks = tasks<Caller>({ call: 1 });
  waitTime = constant(0.01);
  async call() {
    await this.client.get('/swarm', { name: 'swarm' });
  }
}
`,
  );
  return users;
}

test("swarm --master/--worker: the master's key is not sent; a worker presents its own --cert/--key (and keeps the master's --ca)", async () => {
  const users = usersFile();
  const { start, stopAll } = trackedTickstorm();
  try {
    const master = async (extra: string[], json: string) => {
      const m = start([
        'swarm',
        '-f',
        users,
        '--master',
        '--headless',
        '--master-bind-port',
        '0',
        '--expect-workers',
        '1',
        '-u',
        '2',
        '-r',
        '100',
        '-t',
        '1s',
        '-H',
        origin,
        '--ca',
        f('ca.pem'),
        '--only-summary',
        '--json',
        json,
        ...extra,
      ]);
      const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
      return { m, port };
    };
    // the master has the certificate, its worker none: every request fails
    const a = await master(['--cert', f('client.pem'), '--key', f('client.key')], f('dist-a.json'));
    const wa = start(['swarm', '-f', users, '--worker', '--master-port', a.port]);
    const [ma] = await Promise.all([a.m.exited, wa.exited]);
    // every request failed: Locust's --exit-code-on-error (default 1)
    assert.equal(ma.code, 1, a.m.stdout() + a.m.stderr());
    assert.match(a.m.stdout(), /FAILED: \d+ request\(s\) failed \(exit code 1, /);
    const sa = JSON.parse(readFileSync(f('dist-a.json'), 'utf8')).scenarios[0];
    assert.ok(sa.requests > 0 && sa.failures === sa.requests, JSON.stringify(sa));
    assert.match(a.m.stdout(), /ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED/);

    // the worker has it (and only it: the master's --ca still verifies the server)
    const before = seen.length;
    const b = await master([], f('dist-b.json'));
    const wb = start(['swarm', '-f', users, '--worker', '--master-port', b.port, ...certFlags()]);
    const [mb] = await Promise.all([b.m.exited, wb.exited]);
    assert.equal(mb.code, 0, b.m.stdout() + b.m.stderr());
    const sb = JSON.parse(readFileSync(f('dist-b.json'), 'utf8')).scenarios[0];
    assert.ok(sb.requests > 5 && sb.failures === 0, JSON.stringify(sb));
    assert.ok(
      seen.slice(before).length >= sb.requests && seen.slice(before).every((cn) => cn === 'loadlab-client'),
    );
  } finally {
    await stopAll();
  }
});

test('tickstorm swarm --cert --key: every user presents the certificate; without it each request fails with the reason', async () => {
  const users = usersFile();
  const json = f('swarm.json');
  const args = [
    'swarm',
    '-f',
    users,
    '--headless',
    '-u',
    '2',
    '-r',
    '100',
    '-t',
    '1s',
    '-H',
    origin,
    '--ca',
    f('ca.pem'),
    '--json',
    json,
    '--only-summary',
  ];
  const before = seen.length;
  const ok = await run([...args, '--cert', f('client.pem'), '--key', f('client.key')]);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.doesNotMatch(readFileSync(json, 'utf8'), /PRIVATE KEY/, 'the key stays out of the report');
  const s = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
  assert.ok(s.requests > 5, `requests ${s.requests}`);
  assert.equal(s.failures, 0);
  assert.ok(seen.length - before >= s.requests);
  assert.ok(seen.slice(before).every((cn) => cn === 'loadlab-client'));

  const none = await run(args);
  assert.equal(none.code, 1, none.stderr + none.stdout);
  const n = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
  assert.ok(n.requests > 0 && n.failures === n.requests, `${JSON.stringify(n)}\n${none.stdout}`);
  assert.match(none.stdout, /GET swarm: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED/, none.stdout);

  const bad = await run([...args, '--cert', f('client.pem'), '--key', f('stranger.key')]);
  assert.equal(bad.code, 104, bad.stderr);
  assert.match(bad.stderr, /--key .*stranger\.key is not the key of --cert/);
});
