/**
 * The generator's short path to a plain TCP socket's libuv handle, for the raw HTTP client's
 * one-request-per-read loop. `net.Socket` adds, per write, a Writable step and a new
 * `WriteWrap` request object (a V8 object built from a C++ template, the costliest part of
 * the write after the syscall), and per read a JS trampoline that resets socket timers. Here:
 *
 * - `write`: `handle.writeBuffer` with one `WriteWrap` per connection, reused while writes
 *   complete at once (libuv's try-write took every byte: nothing refers to the request
 *   object after the call). A write libuv had to queue keeps its object (and the buffer) until
 *   its `oncomplete`, and the next write gets a new one. An error destroys the socket, as
 *   `socket.write` would.
 * - `read`: the handle's `onread` calls the reader with the byte count straight from the
 *   stream state (the socket's `onread` buffer); end of stream and errors go to net's own
 *   handler, so 'end', 'error' and 'close' are emitted as usual.
 *
 * These are Node's own stream bindings (`process.binding('stream_wrap')`: the objects
 * node:net uses inside), not a public API. Everything is checked once at load; when anything
 * is missing (another Node version, another runtime) `directStream` is null and the client
 * uses `socket.write` and net's `onread` callback. TLS sockets route their reads (the
 * decrypted bytes come through the same handle callback) but write through `socket.write`:
 * a TLS handle completes every write later, so a reused request object would gain nothing.
 */
import type net from 'node:net';

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
}

interface WriteReq {
  handle: unknown;
  oncomplete: (status: number) => void;
  async: boolean;
  buffer: Buffer | null;
}

interface StreamHandle {
  writeBuffer(req: WriteReq, data: Buffer): number;
  onread: (this: StreamHandle, ab: ArrayBuffer | undefined) => unknown;
}

export interface DirectStream {
  /** Writes libuv could not finish at once and queued (over every socket, since load). */
  readonly queuedWrites: number;
  /** A writer for the socket's handle, or null when the socket has none (not connected yet, closed). */
  writer(socket: net.Socket): ((data: Buffer) => void) | null;
  /** Routes the handle's reads of `bytes > 0` to `reader` (the socket's onread buffer); false when it can't. */
  routeReads(socket: net.Socket, reader: (bytes: number) => void): boolean;
}

function loadBinding(): StreamWrapBinding | null {
  try {
    const binding = (process as unknown as { binding?: (name: string) => unknown }).binding;
    if (typeof binding !== 'function') return null;
    const b = binding.call(process, 'stream_wrap') as Partial<StreamWrapBinding>;
    if (
      typeof b.WriteWrap !== 'function' ||
      !(b.streamBaseState instanceof Int32Array) ||
      typeof b.kReadBytesOrError !== 'number' ||
      typeof b.kLastWriteWasAsync !== 'number'
    )
      return null;
    return b as StreamWrapBinding;
  } catch {
    return null;
  }
}

const handleOf = (socket: net.Socket): StreamHandle | null => {
  const h = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  return h != null && typeof h.writeBuffer === 'function' && typeof h.onread === 'function' ? h : null;
};

function makeDirectStream(b: StreamWrapBinding): DirectStream {
  const state = b.streamBaseState;
  const kRead = b.kReadBytesOrError;
  const kAsync = b.kLastWriteWasAsync;
  const ds = {
    queuedWrites: 0,
    writer(socket: net.Socket) {
      const h = handleOf(socket);
      if (h === null) return null;
      const fail = (status: number) => {
        const e = new Error(`write failed (libuv status ${status})`) as NodeJS.ErrnoException;
        e.errno = status;
        socket.destroy(e);
      };
      const fresh = (): WriteReq => {
        const req = new b.WriteWrap();
        req.handle = h;
        req.async = false;
        req.buffer = null;
        req.oncomplete = (status) => {
          req.buffer = null;
          if (status < 0) fail(status);
        };
        return req;
      };
      let req = fresh();
      return (data: Buffer) => {
        if (socket.destroyed) return;
        const err = h.writeBuffer(req, data);
        if (err !== 0) fail(err);
        else if (state[kAsync] !== 0) {
          // Queued in libuv: this request object is in use until its oncomplete.
          ds.queuedWrites++;
          req.async = true;
          req.buffer = data;
          req = fresh();
        }
      };
    },
    routeReads(socket: net.Socket, reader: (bytes: number) => void) {
      const h = handleOf(socket);
      if (h === null) return false;
      const net = h.onread;
      h.onread = function (this: StreamHandle, ab: ArrayBuffer | undefined) {
        const n = state[kRead];
        if (n > 0) {
          reader(n);
          return undefined;
        }
        return net.call(this, ab);
      };
      return true;
    },
  };
  return ds;
}

const binding = loadBinding();

/** The short path, or null where Node's stream bindings are not as expected. */
export const directStream: DirectStream | null = binding === null ? null : makeDirectStream(binding);
