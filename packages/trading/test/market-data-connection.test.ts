/**
 * IngestConnection's outgoing bound: while a client does not read (bufferedAmount above
 * the limit) error frames and acks are suppressed and counted, never queued; they flow
 * again once the buffer drains. A fake socket makes bufferedAmount exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstrumentTable, ProtocolErrorCode } from '@tickstorm/protocol';
import WebSocket from 'ws';
import { InProcessBus } from '../src/bus/bus.ts';
import { IngestConnection } from '../src/market-data/ingest-connection.ts';
import { MarketState } from '../src/market-data/market-state.ts';
import { TickProcessor } from '../src/market-data/tick-processor.ts';
import { LatencyHistogram } from '../src/stats/latency-histogram.ts';
import { RateMeter } from '../src/stats/rate-meter.ts';

class FakeSocket {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  sent: string[] = [];
  send(s: string): void {
    this.sent.push(s);
  }
}

function setup(periodicAcks = false) {
  const instruments = new InstrumentTable();
  const p = new TickProcessor(
    instruments,
    new MarketState(instruments),
    new InProcessBus(),
    new LatencyHistogram(),
    new RateMeter(),
    1 << 20,
  );
  const ws = new FakeSocket();
  const counters = { errorFramesSent: 0, framesSuppressed: 0 };
  const conn = new IngestConnection(ws as unknown as WebSocket, p, periodicAcks, 1000, counters);
  const text = (s: string) => conn.onMessage(Buffer.from(s), false);
  return { ws, conn, counters, text };
}

const bad = '{"type":"tick","symbol":"SYM0","price":-1,"volume":1,"timestamp":1}';
const good = '{"type":"tick","symbol":"SYM0","price":1,"volume":1,"timestamp":1}';

describe('IngestConnection outgoing bound', () => {
  it('suppresses and counts error frames while the client does not read', () => {
    const { ws, conn, counters, text } = setup();
    text(bad);
    assert.equal(ws.sent.length, 1);
    assert.equal(JSON.parse(ws.sent[0]).code, ProtocolErrorCode.NOT_POSITIVE);
    ws.bufferedAmount = 5000; // the client stopped reading
    for (let i = 0; i < 100; i++) text(bad);
    text('{"type":"sync","id":1}');
    assert.equal(ws.sent.length, 1, 'nothing queued beyond the bound');
    assert.equal(conn.suppressed, 101);
    assert.equal(counters.framesSuppressed, 101);
    ws.bufferedAmount = 0; // drained
    text(good);
    text('{"type":"sync","id":2}');
    assert.deepEqual(JSON.parse(ws.sent.at(-1)!), {
      type: 'ack',
      received: 102,
      processed: 1,
      rejected: 101,
      suppressed: 101,
      id: 2,
    });
    assert.equal(counters.errorFramesSent, 1);
  });

  it('sends a periodic ack only when asked and only when something arrived', () => {
    const off = setup(false);
    off.text(good);
    off.conn.periodicAck();
    assert.equal(off.ws.sent.length, 0);
    const on = setup(true);
    on.conn.periodicAck();
    assert.equal(on.ws.sent.length, 0, 'nothing arrived yet');
    on.text(good);
    on.conn.periodicAck();
    on.conn.periodicAck();
    assert.deepEqual(
      on.ws.sent.map((s) => JSON.parse(s)),
      [{ type: 'ack', received: 1, processed: 1, rejected: 0 }],
    );
  });

  it('sends nothing on a closing socket', () => {
    const { ws, text } = setup();
    ws.readyState = WebSocket.CLOSING;
    text(bad);
    text('{"type":"sync"}');
    assert.equal(ws.sent.length, 0);
  });
});
