/**
 * nats.js's `connect()`, with a transport that closes the socket of an attempt that failed.
 *
 * nats.js 2.x (src/node_transport.js) only closes a socket once the connection has completed
 * (`_closed` returns early while `connected` is false): an attempt whose server accepted TCP and
 * never sent its INFO (a stopped nats-server, a black hole) times out, is given up, and its
 * socket stays open for ever. At start that kept an in-process caller alive (a test, a library
 * user: the CLI exits anyway), and a client reconnecting to such a server leaked one socket per
 * attempt. Here the transport remembers its socket from the moment it is created (a TCP connect
 * still under way included) and destroys it when the attempt is given up.
 *
 * The rest is nats.js's own `connect` (src/connect.js): its Node transport factory and
 * resolver, then NatsConnectionImpl.connect. Test: test/nats-connect-timeout.test.ts.
 */
import { createConnection, type Socket } from 'node:net';
import type { ConnectionOptions, NatsConnection } from 'nats';
import type { NodeTransport as NodeTransportType } from 'nats/lib/src/node_transport.js';

let loaded: Promise<(o: ConnectionOptions) => Promise<NatsConnection>> | undefined;

/** Connects like nats.js's `connect()`; a failed attempt leaves no socket behind. */
export function connectNats(o: ConnectionOptions): Promise<NatsConnection> {
  loaded ??= load();
  return loaded.then((connect) => connect(o));
}

async function load(): Promise<(o: ConnectionOptions) => Promise<NatsConnection>> {
  const { NodeTransport, nodeResolveHost } = await import('nats/lib/src/node_transport.js');
  const { NatsConnectionImpl, setTransportFactory } = await import(
    'nats/lib/nats-base-client/internal_mod.js'
  );

  class ClosingTransport extends (NodeTransport as typeof NodeTransportType) {
    /** This attempt's socket, from its creation (the parent only knows it once TCP connected). */
    private attempt: Socket | undefined;

    /** The parent's dial (node_transport.js), keeping the socket. */
    override dial(hp: { hostname: string; port: number }): Promise<Socket> {
      return new Promise((resolve, reject) => {
        let dialError: Error | undefined;
        const socket = createConnection(hp.port, hp.hostname, () => {
          socket.removeAllListeners();
          resolve(socket);
        });
        this.attempt = socket;
        socket.on('error', (err) => {
          dialError = err;
        });
        socket.on('close', () => {
          socket.removeAllListeners();
          reject(dialError);
        });
        socket.setNoDelay(true);
      });
    }

    override close(err?: Error): Promise<void> {
      // an attempt given up (timeout, bad INFO): the parent would return without closing it
      if (!this.connected) {
        this.attempt?.destroy();
        this.socket?.destroy();
      }
      return super.close(err);
    }
  }

  return (o) => {
    setTransportFactory({ factory: () => new ClosingTransport(), dnsResolveFn: nodeResolveHost });
    return NatsConnectionImpl.connect(o);
  };
}
