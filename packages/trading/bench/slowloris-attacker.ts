/**
 * The slowloris attacker of security.bench.ts, in its own process so that its 5,000 sockets'
 * connects and closes never run on the event loop that times the orders:
 *
 *   node --import tsx slowloris-attacker.ts HOST PORT COUNT
 *
 * opens COUNT sockets, each sending half a request (headers never finished) and reading what the
 * server answers (a 408 at its headers deadline) so its close is seen, prints
 * `{"ready":{"connected","closed"}}` once every socket is connected or closed, then
 * `{"closed":N,"closedFirstSecond":M,"lastCloseMs":T}` (ms since ready; M: closed before
 * ready or within a second of it, i.e. on accept) each time closes stop for a moment, and
 * destroys what is left when its stdin ends.
 */
import net from 'node:net';

const [host, portArg, countArg] = process.argv.slice(2);
const port = Number(portArg);
const count = Number(countArg);
const sockets: net.Socket[] = [];
let settled = 0;
let connected = 0;
let closed = 0;
let closedFirstSecond = 0;
let readyAt = 0;
let lastCloseAt = 0;
let report: NodeJS.Timeout | undefined;

function print(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

function settle(): void {
  if (++settled === count) {
    readyAt = performance.now();
    print({ ready: { connected, closed } });
  }
}

for (let i = 0; i < count; i++) {
  const s = net.connect(port, host);
  let counted = false;
  const once = () => {
    if (!counted) {
      counted = true;
      settle();
    }
  };
  s.on('connect', () => {
    connected++;
    s.write('POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n');
    once();
  });
  s.on('error', () => {});
  // What the server sends (the 408 at the headers deadline) is read and dropped: a socket whose
  // bytes are never read never sees the server's FIN ('end', then 'close'), so a server that
  // answers before it closes would look as if it held the socket.
  s.resume();
  s.on('close', () => {
    closed++;
    lastCloseAt = performance.now();
    if (readyAt === 0 || lastCloseAt - readyAt < 1000) closedFirstSecond++;
    once();
    if (readyAt > 0) {
      clearTimeout(report);
      report = setTimeout(
        () => print({ closed, closedFirstSecond, lastCloseMs: Math.round(lastCloseAt - readyAt) }),
        200,
      );
    }
  });
  sockets.push(s);
  if (i % 500 === 499) await new Promise((r) => setImmediate(r));
}

process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
