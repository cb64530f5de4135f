/**
 * A fast local HTTP target for the generator benchmarks (run as a child process): node:http
 * answering every request with a 2-byte keep-alive response; https with env TLS_CERT and
 * TLS_KEY (PEM files). Prints {"port"} on stdout; answers IPC 'stats' with its request count
 * and CPU seconds.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

let requests = 0;
const handler: http.RequestListener = (_req, res) => {
  requests++;
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
};
const tls = process.env.TLS_CERT !== undefined && process.env.TLS_KEY !== undefined;
const server = tls
  ? https.createServer(
      { cert: readFileSync(process.env.TLS_CERT!), key: readFileSync(process.env.TLS_KEY!) },
      handler,
    )
  : http.createServer(handler);
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    const c = process.cpuUsage();
    process.send?.({ requests, cpuSec: (c.user + c.system) / 1e6 });
  }
});
process.on('disconnect', () => process.exit(0));
