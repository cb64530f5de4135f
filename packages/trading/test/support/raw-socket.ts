/**
 * Bytes written as given on a fresh TCP connection to 127.0.0.1, and everything the server
 * sent back until it closed: for requests no HTTP client would send.
 */
import net from 'node:net';

/**
 * Writes `data` (then ends the write side unless `endWrite` is false); resolves with the answer
 * (utf8) at the server's end of the stream; rejects on a socket error.
 */
export function sendAndRead(port: number, data: string | Buffer, endWrite = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('error', reject);
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    if (endWrite) s.end(data);
    else s.write(data);
  });
}

/** Writes `data`; resolves with everything read (latin1) once the socket closes, a reset included. */
export function writeUntilClose(port: number, data: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let got = '';
  socket.on('data', (d) => {
    got += d.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write(data);
  return new Promise((resolve) => socket.on('close', () => resolve(got)));
}
