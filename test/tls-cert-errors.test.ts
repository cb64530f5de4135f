/**
 * Certificates the client refuses, and --ca's cost per connection: a private CA made at test time
 * (openssl) signs a good server certificate, an expired one and one for another host name;
 * a self-signed one stands alone. `tickstorm http` says once what is wrong and what to do
 * (exit 1) instead of counting one failure per request, and a --ca run reuses one secure context.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  HttpClient,
  prepareRequest,
  RequestEvents,
  tlsCertProblem,
  tlsConnectOptions,
} from '@tickstorm/loadlab';
import { selfSignedCert } from './support/certs.ts';
import { tickstorm as run } from './support/cli.ts';

let dir: string;
const servers: https.Server[] = [];
const origin: Record<'good' | 'self' | 'expired' | 'wrong' | 'closing', string> = {
  good: '',
  self: '',
  expired: '',
  wrong: '',
  closing: '',
};

const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

/** A key and a certificate for `name` signed by the CA, valid `days` (-1: already expired). */
function signed(name: string, san: string, days: number): void {
  ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=x',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  ssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    String(days),
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.pem`,
  );
}

async function serve(name: string, closeEach = false): Promise<string> {
  const s = https.createServer(
    { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)) },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, closeEach ? { connection: 'close' } : {});
        res.end('ok');
      });
    },
  );
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}/`;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-tls-certs-'));
  selfSignedCert({ cwd: dir, key: 'ca.key', cert: 'ca.pem', cn: 'Test CA', days: 2 });
  signed('good', 'IP:127.0.0.1,DNS:localhost', 2);
  signed('expired', 'IP:127.0.0.1,DNS:localhost', -1);
  signed('wrong', 'DNS:wrong.example', 2);
  selfSignedCert({
    cwd: dir,
    key: 'self.key',
    cert: 'self.pem',
    cn: 'localhost',
    san: 'IP:127.0.0.1',
    days: 2,
  });
  origin.good = await serve('good');
  origin.self = await serve('self');
  origin.expired = await serve('expired');
  origin.wrong = await serve('wrong');
  origin.closing = await serve('good', true);
});

after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  rmSync(dir, { recursive: true, force: true });
});

test('tickstorm http names a refused certificate once, with what to do, and exits 1 before the load', async () => {
  const ca = join(dir, 'ca.pem');
  const json = join(dir, 'out.json');
  const cases: [string[], RegExp][] = [
    [[origin.self], /not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): --ca FILE .*--insecure skips the check/],
    [[origin.good], /not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/],
    [[origin.expired, '--ca', ca], /has expired \(CERT_HAS_EXPIRED\).*--insecure skips the check/],
    [[origin.wrong, '--ca', ca], /does not name this host \(ERR_TLS_CERT_ALTNAME_INVALID\)/],
  ];
  for (const [args, message] of cases) {
    const r = await run(['http', ...args, '-c', '1', '-d', '1', '--json', json]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stdout, /requests in/, 'no load was run');
  }
  // The same certificates pass with the flag that fits them.
  const ok = await run(['http', origin.expired, '--insecure', '-c', '1', '-d', '500ms', '--json', json]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(readFileSync(json, 'utf8')).errors, 0);
  assert.equal(await tlsCertProblem(new URL(origin.good), { ca: readFileSync(ca, 'utf8') }), undefined);
  // run's reachability check words it the same way.
  const r = await run([
    'run',
    'order-stress',
    '--orders-url',
    origin.self.slice(0, -1),
    '--no-watch',
    '--no-bench',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /orders\) at https:.*not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): --ca FILE/);
});

test('--ca builds its secure context once, and it still verifies: new connections stay cheap', async () => {
  const ca = readFileSync(join(dir, 'ca.pem'), 'utf8');
  const a = tlsConnectOptions('127.0.0.1', { ca });
  const b = tlsConnectOptions('localhost', { ca });
  assert.ok(a.secureContext !== undefined && a.secureContext === b.secureContext, 'one context for one CA');
  assert.equal(a.ca, undefined, 'no per-connection CA list to parse');
  assert.equal(b.servername, 'localhost');

  // A server that closes after each response: every request is a new TLS connection.
  const client = new HttpClient({
    url: origin.closing,
    connections: 1,
    events: new RequestEvents(),
    tls: { ca },
  });
  const req = prepareRequest(origin.closing);
  for (let i = 0; i < 20; i++) assert.equal((await client.request(req)).status, 200);
  assert.ok(client.connects >= 20, `connects ${client.connects}`);
  await client.close();
  const refused = new HttpClient({
    url: origin.expired,
    connections: 1,
    events: new RequestEvents(),
    tls: { ca },
  });
  const r = await refused.request(prepareRequest(origin.expired));
  assert.equal(r.ok, false);
  assert.match(String(r.error), /CERT_HAS_EXPIRED/);
  await refused.close();
});

test('swarm --headless -H https:// names a refused certificate once (exit 1); --ca runs', async () => {
  const users = join(dir, 'users.ts');
  writeFileSync(
    users,
    `import { HttpUser, tasks } from '@tickstorm/loadlab/swarm';
export class U extends HttpUser {
  static tasks = tasks<U>({ get: 1 });
  async get() { await this.client.get('/x'); }
}
`,
  );
  const args = ['swarm', '-f', users, '--headless', '-u', '1', '-r', '1', '-t', '1s'];
  const bad = await run([...args, '-H', origin.self.slice(0, -1)]);
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(bad.stderr, /-H https:.*not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): --ca FILE/);
  const expired = await run([...args, '-H', origin.expired.slice(0, -1), '--ca', join(dir, 'ca.pem')]);
  assert.equal(expired.code, 1);
  assert.match(expired.stderr, /has expired \(CERT_HAS_EXPIRED\)/);
  const ok = await run([...args, '-H', origin.good.slice(0, -1), '--ca', join(dir, 'ca.pem')]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /GET\s+\/x\s+\d+\s+0\s/);
});

test('--ca with a certificate block that does not parse is refused (104, naming the flag), not ignored', async () => {
  const bad = join(dir, 'bad.pem');
  const good = readFileSync(join(dir, 'ca.pem'), 'utf8');
  writeFileSync(bad, `${good}-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n`);
  const r = await run(['http', origin.good, '--ca', bad, '-d', '1']);
  assert.equal(r.code, 104, r.stdout + r.stderr);
  assert.match(r.stderr, /--ca .*bad\.pem: certificate 2 of 2 is not a valid PEM certificate/);
});

test("a script's refused certificate: the request fails (k6's way), and stderr says why once; ws.connect's rejection says it too", async () => {
  const f = join(dir, 'refused.js');
  const wssUrl = origin.self.replace('https:', 'wss:');
  writeFileSync(
    f,
    `import http from 'k6/http';
import ws from 'tickstorm/ws';
export const options = { vus: 1, iterations: 3 };
export default async function () {
  await http.get('${origin.self}x');
  if (__ITER === 0) {
    try { await ws.connect('${wssUrl}'); } catch (e) { console.log('ws: ' + e.message); }
  }
}
`,
  );
  const r = await run(['run', f, '--no-watch']);
  const warns =
    r.stderr.match(
      /WARN https:\/\/127\.0\.0\.1:\d+: the server's certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): --ca FILE/g,
    ) ?? [];
  assert.equal(warns.length, 1, r.stderr);
  assert.match(
    r.stdout + r.stderr,
    /ws: .*not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\): --ca FILE .*--insecure/,
  );
  assert.match(r.stdout, /http_req_failed\.+: 100\.00%/);
});
