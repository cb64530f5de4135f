/**
 * undici's TLS connector, except that a request the server cuts with a TLS alert keeps the
 * alert as the error's `cause`. Over TLS 1.3 a server that requires a client certificate and
 * gets none (or one it refuses) sends its alert after the handshake: the socket errors with
 * ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, then ends, and undici reports only "other side
 * closed" (UND_ERR_SOCKET). The swarm's and the scripts' requests report the alert instead.
 */
import type { ConnectionOptions } from 'node:tls';
import { buildConnector } from 'undici';

export function tlsAlertConnector(opts: ConnectionOptions): buildConnector.connector {
  const base = buildConnector(opts as buildConnector.BuildOptions);
  return (o, cb) =>
    base(o, (err, socket) => {
      if (socket && o.protocol === 'https:') {
        let alert: NodeJS.ErrnoException | undefined;
        socket.prependListener('error', (e: NodeJS.ErrnoException) => {
          if (alert === undefined) {
            if (e.code?.startsWith('ERR_SSL_') === true) alert = e;
          } else if (e.code === 'UND_ERR_SOCKET' && e.cause === undefined) e.cause = alert;
        });
      }
      (cb as (e: Error | null, s: typeof socket) => void)(err, socket);
    });
}
