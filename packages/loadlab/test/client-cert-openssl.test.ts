/**
 * A client certificate and key that parse and match, but that OpenSSL will not make a secure
 * context of (a 512-bit RSA key: ERR_SSL_EE_KEY_TOO_SMALL), are refused when they are loaded,
 * naming where they came from (--cert/--key, options.tlsAuth[i]), as any other bad pair is.
 * Before, `tickstorm http` and `swarm` crashed at their first connection with OpenSSL's bare
 * message (exit 1), and every request of a script failed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { clientCertProblem, loadClientCertFiles } from '../src/clients/client-cert.ts';
import { parseTlsAuth } from '../src/script/tls-auth.ts';

let dir: string;
const f = (name: string) => join(dir, name);
const pem = (name: string) => readFileSync(f(name), 'utf8');

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-client-cert-'));
  for (const [bits, name] of [
    [512, 'weak'],
    [2048, 'good'],
  ] as const) {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        `rsa:${bits}`,
        '-nodes',
        '-subj',
        `/CN=${name}`,
        '-days',
        '2',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.pem`,
      ],
      { cwd: dir, stdio: 'ignore' },
    );
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const REFUSED = /OpenSSL refuses them as a client certificate \(ERR_SSL_EE_KEY_TOO_SMALL: ee key too small\)/;

test('--cert/--key: a pair below OpenSSL security level is a problem naming both flags', () => {
  const problems: string[] = [];
  assert.equal(loadClientCertFiles(f('weak.pem'), f('weak.key'), problems), undefined);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^--cert .*weak\.pem with --key .*weak\.key: /);
  assert.match(problems[0], REFUSED);
  assert.doesNotMatch(problems[0], /PRIVATE KEY/, 'the key text stays out of the message');

  const ok: string[] = [];
  assert.ok(loadClientCertFiles(f('good.pem'), f('good.key'), ok) !== undefined);
  assert.deepEqual(ok, []);
});

test('options.tlsAuth: the same pair is refused naming the entry; a usable one is kept', () => {
  const problems: string[] = [];
  const certs = parseTlsAuth(
    [
      { cert: pem('good.pem'), key: pem('good.key') },
      { domains: ['api.example.com'], cert: pem('weak.pem'), key: pem('weak.key') },
    ],
    problems,
  );
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0], /^options\.tlsAuth\[1\]\.cert with options\.tlsAuth\[1\]\.key: /);
  assert.match(problems[0], REFUSED);
  assert.equal(certs?.length, 1);
  assert.equal(clientCertProblem({ cert: pem('good.pem'), key: pem('good.key') }, 'c', 'k'), undefined);
});
