/**
 * undici's TLS connector, except that a request the server cuts with a TLS alert keeps the
 * alert as the error's `cause`. Over TLS 1.3 a server that requires a client certificate and
 * gets none (or one it refuses) sends its alert after the handshake: the socket errors with
 * ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, then ends, and undici reports only "other side
 * closed" (UND_ERR_SOCKET). The swarm's and the scripts' requests report the alert instead.
 */
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { buildConnector } from 'undici';
import { nowUs } from '../util/clock.ts';

export function tlsAlertConnector(
  opts: ConnectionOptions,
  /**
   * Called with each socket as its connection begins, and when it began (lab clock µs, read
   * before the connect call): a script's http times its connect and TLS handshake.
   */
  onSocket?: (socket: Socket, startedUs: number) => void,
): buildConnector.connector {
  const base = buildConnector(opts as buildConnector.BuildOptions);
  if (onSocket === undefined) return withAlert(base);
  const alerting = withAlert(base);
  return (o, cb) => {
    const startedUs = nowUs();
    // undici's connectors return the socket they connect (its types say void)
    const socket = alerting(o, cb) as unknown as Socket | undefined;
    if (socket !== undefined) onSocket(socket, startedUs);
    return socket;
  };
}

function withAlert(base: buildConnector.connector): buildConnector.connector {
  return (o, cb) =>
    // returned: the socket (see above)
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
