/**
 * k6's `options.tlsAuth`: client certificates for mutual TLS, PEM texts (read with k6's
 * `open()`, or a template literal), each for some domains:
 *
 *   export const options = {
 *     tlsAuth: [{ domains: ['api.example.com'], cert: open('./client.pem'), key: open('./client.key') }],
 *   };
 *
 * A request presents the first entry whose `domains` names its host (a name, an IP, or
 * `*.example.com`); an entry without domains (or with an empty list) is for every host. An
 * encrypted key takes k6's `password`. Checked when the script loads: exit 104 on a problem.
 */
import { type ClientCert, clientCertProblem } from '../clients/client-cert.ts';

const FIELDS = ['domains', 'cert', 'key', 'password'];

/** The entries, or undefined when the script has none; every problem goes to `problems`. */
export function parseTlsAuth(raw: unknown, problems: string[]): ClientCert[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    problems.push("options.tlsAuth must be an array like [{ domains: ['example.com'], cert, key }]");
    return undefined;
  }
  const out: ClientCert[] = [];
  raw.forEach((e: unknown, i) => {
    const where = `options.tlsAuth[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      problems.push(`${where} must be an object { domains, cert, key }`);
      return;
    }
    const o = e as Record<string, unknown>;
    const before = problems.length;
    for (const k of Object.keys(o))
      if (!FIELDS.includes(k)) problems.push(`${where}.${k}: not supported (use ${FIELDS.join(', ')})`);
    const d = o.domains;
    if (d !== undefined && (!Array.isArray(d) || d.some((x) => typeof x !== 'string' || x === '')))
      problems.push(`${where}.domains must be an array of host names, e.g. ['example.com']`);
    for (const k of ['cert', 'key'])
      if (typeof o[k] !== 'string') problems.push(`${where}.${k} must be PEM text (e.g. open('./${k}.pem'))`);
    if (o.password !== undefined && typeof o.password !== 'string')
      problems.push(`${where}.password must be a string`);
    if (problems.length > before) return;
    const c: ClientCert = {
      ...(d === undefined ? {} : { domains: d as string[] }),
      cert: o.cert as string,
      key: o.key as string,
      ...(o.password === undefined ? {} : { passphrase: o.password as string }),
    };
    const problem = clientCertProblem(c, `${where}.cert`, `${where}.key`);
    if (problem !== undefined) problems.push(problem);
    else out.push(c);
  });
  return out;
}
