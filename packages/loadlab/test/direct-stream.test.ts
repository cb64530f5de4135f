import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { test } from 'node:test';
import { directStream } from '../src/clients/direct-stream.ts';

/** A TCP server on an OS port; `onConn` gets each accepted socket. */
async function server(
  onConn: (s: net.Socket) => void,
): Promise<{ port: number; close: () => Promise<void> }> {
  const conns = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    conns.add(s);
    s.on('close', () => conns.delete(s));
    onConn(s);
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of conns) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    },
  };
}

test('the short path is available on this Node (the raw HTTP client relies on it for its figures)', () => {
  assert.ok(directStream !== null, `process.binding('stream_wrap') changed on Node ${process.version}`);
});

test('writes that libuv has to queue arrive whole and in order, and later writes follow them', async () => {
  const ds = directStream!;
  let received = 0;
  const chunks: Buffer[] = [];
  let paused: net.Socket | null = null;
  const srv = await server((s) => {
    paused = s;
    s.pause(); // nothing is read until the client has queued its writes
    s.on('data', (d) => {
      received += d.length;
      chunks.push(d);
    });
  });
  const sock = net.connect({ host: '127.0.0.1', port: srv.port });
  await once(sock, 'connect');
  const write = ds.writer(sock);
  assert.ok(write !== null);
  // 32 MB cannot fit the socket buffers: the first write completes partly and is queued.
  const big = Buffer.alloc(32 * 1024 * 1024, 0x61);
  const tail = Buffer.from('tail-1 tail-2');
  const queued = ds.queuedWrites;
  write(big);
  assert.equal(
    ds.queuedWrites,
    queued + 1,
    'the big write was not queued: this test no longer covers that path',
  );
  write(tail.subarray(0, 7));
  write(tail.subarray(7));
  while (paused === null) await new Promise((r) => setImmediate(r));
  (paused as net.Socket).resume();
  while (received < big.length + tail.length) await new Promise((r) => setImmediate(r));
  const all = Buffer.concat(chunks);
  assert.equal(all.length, big.length + tail.length);
  assert.equal(
    all.subarray(0, big.length).every((b) => b === 0x61),
    true,
  );
  assert.equal(all.subarray(big.length).toString(), 'tail-1 tail-2');
  sock.destroy();
  await srv.close();
});

test('reads go to the reader with their byte count; the end of the stream still reaches net', async () => {
  const ds = directStream!;
  const srv = await server((s) => {
    s.end('hello, reader');
  });
  const buf = Buffer.alloc(1024);
  let got = '';
  const sock = net.connect({
    host: '127.0.0.1',
    port: srv.port,
    onread: { buffer: buf, callback: () => assert.fail('net callback used instead of the routed reader') },
  });
  assert.equal(
    ds.routeReads(sock, (n) => {
      got += buf.toString('latin1', 0, n);
    }),
    true,
  );
  await once(sock, 'end');
  assert.equal(got, 'hello, reader');
  sock.destroy();
  await srv.close();
});

test('a write on a connection the peer reset destroys the socket with an error', async () => {
  const ds = directStream!;
  const srv = await server((s) => {
    s.once('data', () => s.resetAndDestroy());
  });
  const sock = net.connect({ host: '127.0.0.1', port: srv.port });
  const errored = new Promise<Error>((resolve) => sock.on('error', resolve));
  await once(sock, 'connect');
  const write = ds.writer(sock);
  assert.ok(write !== null);
  // The reset arrives at some point; keep writing until the socket is destroyed by it.
  const data = Buffer.alloc(64 * 1024);
  while (!sock.destroyed) {
    write(data);
    await new Promise((r) => setImmediate(r));
  }
  const err = await errored;
  assert.ok(err instanceof Error);
  await srv.close();
});

test('a closed socket gives no writer', async () => {
  const ds = directStream!;
  const srv = await server(() => {});
  const sock = net.connect({ host: '127.0.0.1', port: srv.port });
  await once(sock, 'connect');
  sock.destroy();
  assert.equal(ds.writer(sock), null);
  await srv.close();
});
