/**
 * A TCP proxy in front of a PostgreSQL server that cuts a connection at a chosen moment of the
 * protocol, to make "the server committed, the answer was lost" happen on purpose: it reads the
 * server's messages (type byte, int32 length) and, once armed, closes both sides of the first
 * connection where `cutAt` says so, without forwarding that message or what follows it.
 *
 * - `commit`: at the first ReadyForQuery with status idle (`Z` `I`) after a CommandComplete
 *   whose tag starts with `COPY`: the transaction holding the COPY has just committed.
 * - `copy-data`: at the first CopyInResponse (`G`): the COPY has started, nothing is committed.
 * - `commit-held`: the client's first `COMMIT` is not forwarded and the client's side is closed,
 *   while the server's side stays open: the server's transaction stays open (idle in
 *   transaction), as when a network path dies before the COMMIT arrives.
 */
import { createServer, type Server, Socket } from 'node:net';

export type CutAt = 'commit' | 'copy-data' | 'commit-held';

export interface PgCutProxy {
  readonly port: number;
  /** Cuts the next connection that reaches `at`; once. */
  arm(at: CutAt): void;
  /** Connections cut so far. */
  readonly cuts: number;
  close(): Promise<void>;
}

export async function startPgCutProxy(targetPort: number): Promise<PgCutProxy> {
  let armed: CutAt | null = null;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    let held = false; // commit-held: the client's side closed, the server's kept open
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end).on('close', () => {
      if (!held) end();
    });
    upstream.on('error', end).on('close', end);
    upstream.connect(targetPort, '127.0.0.1');
    let fromClient = Buffer.alloc(0);
    let started = false; // the startup message (and an SSLRequest) has no type byte
    client.on('data', (chunk: Buffer) => {
      fromClient = Buffer.concat([fromClient, chunk]);
      let off = 0;
      for (;;) {
        const head = started ? 1 : 0;
        if (fromClient.length - off < head + 4) break;
        const len = fromClient.readInt32BE(off + head);
        if (fromClient.length - off < head + len) break;
        const isCommit =
          started &&
          fromClient[off] === 0x51 /* Q */ &&
          fromClient.subarray(off + 5, off + 1 + len).toString('latin1') === 'COMMIT\0';
        if (isCommit && armed === 'commit-held') {
          armed = null;
          cuts++;
          held = true;
          upstream.write(fromClient.subarray(0, off));
          client.destroy(); // the server's side stays open, its transaction too
          return;
        }
        off += head + len;
        // the startup message is the first untyped one (protocol 3.0: 196608)
        if (!started && len >= 8 && fromClient.readInt32BE(off - len + 4) === 196608) started = true;
      }
      upstream.write(fromClient.subarray(0, off));
      fromClient = fromClient.subarray(off);
    });
    let pending = Buffer.alloc(0);
    let sawCopy = false;
    upstream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let off = 0;
      while (pending.length - off >= 5) {
        const type = String.fromCharCode(pending[off]);
        const len = pending.readInt32BE(off + 1);
        if (pending.length - off < 1 + len) break;
        const body = pending.subarray(off + 5, off + 1 + len);
        if (type === 'C' && body.toString('latin1').startsWith('COPY')) sawCopy = true;
        const cut =
          (armed === 'commit' && type === 'Z' && body[0] === 0x49 /* I */ && sawCopy) ||
          (armed === 'copy-data' && type === 'G');
        if (type === 'Z' && body[0] === 0x49) sawCopy = false;
        if (cut) {
          armed = null;
          cuts++;
          if (off > 0) client.write(pending.subarray(0, off));
          end();
          return;
        }
        off += 1 + len;
      }
      if (off > 0) client.write(pending.subarray(0, off));
      pending = pending.subarray(off);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  return {
    port,
    arm(at) {
      armed = at;
    },
    get cuts() {
      return cuts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
