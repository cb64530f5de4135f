/**
 * A minimal WebSocket sink for the WS generation benchmark (run as a child process): a `ws`
 * server on a free port that counts frames and ticks without parsing JSON: a binary frame
 * holds the batch's u32 count at offset 4 (docs/market-data-protocol.md), a text frame that
 * starts with '[' is an array (its `"type":"tick"` occurrences are counted), any other text
 * frame is one tick. Prints {"port"} on stdout; answers IPC 'stats' with its counters.
 */
import { WebSocketServer } from 'ws';

const TICK = Buffer.from('"type":"tick"');
let frames = 0;
let ticks = 0;
let bytes = 0;
let connections = 0;

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  perMessageDeflate: false,
  maxPayload: 64 << 20,
});
wss.on('connection', (ws) => {
  connections++;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    frames++;
    bytes += data.length;
    if (isBinary) ticks += data.length >= 8 ? data.readUInt32LE(4) : 0;
    else if (data[0] === 0x5b) {
      for (let i = data.indexOf(TICK); i >= 0; i = data.indexOf(TICK, i + TICK.length)) ticks++;
    } else ticks++;
  });
});
wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof addr === 'object' && addr !== null ? addr.port : 0 })}\n`,
  );
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ frames, ticks, bytes, connections, cpuSec: (cpu.user + cpu.system) / 1e6 });
  } else if (m.type === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
