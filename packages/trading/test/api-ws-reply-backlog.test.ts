/**
 * The hub's replies are bounded like its updates: a client that keeps sending messages (each
 * subscribe of 1,000 unknown symbols is answered by 1,000 error frames, ~100 KB) while it
 * never reads is terminated once its socket's backlog passes `maxBacklogBytes`, instead of
 * the replies piling up in the server's memory (1.3 GB after 3,000 such messages before).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { type ApiService, startApiService } from '../src/api/api-server.ts';
import { InProcessBus } from '../src/bus/bus.ts';
import { isKnownSymbol } from './support/api-fixtures.ts';
import { WsTestClient } from './support/ws-test-client.ts';

describe('api websocket: replies to a client that does not read', () => {
  const bus = new InProcessBus();
  let api: ApiService;
  before(async () => {
    api = await startApiService({ bus, isKnownSymbol, port: 0, ws: { maxBacklogBytes: 256 * 1024 } });
  });
  after(async () => {
    await api.close();
    await bus.close();
  });

  test('past maxBacklogBytes of unread replies the client is terminated', async () => {
    const c = await WsTestClient.connect(`${api.url.replace('http', 'ws')}/ws/metrics`);
    c.socket.pause(); // never reads again: the server's replies back up
    const closed = once(c.ws, 'close');
    let isClosed = false;
    void closed.then(() => {
      isClosed = true;
    });
    const msg = JSON.stringify({
      action: 'subscribe',
      symbols: Array.from({ length: 1000 }, (_, i) => `Z${i}`),
    });
    let sent = 0;
    // ~100 KB of replies a message: kernel buffers hold a few MB, the cap 256 KB more; 300
    // messages (~30 MB of replies) are far past both.
    for (; sent < 300 && !isClosed; sent++) {
      await new Promise<void>((resolve) => c.ws.send(msg, () => resolve()));
    }
    c.socket.resume(); // read again: a terminated connection is then seen as closed
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([
      closed,
      new Promise((_, reject) => {
        guard = setTimeout(() => reject(new Error(`still open after ${sent} messages`)), 10_000);
      }),
    ]).finally(() => clearTimeout(guard));
    assert.equal(api.hub.clientCount, 0);
    assert.ok(api.hub.stats().slowDisconnects >= 1, JSON.stringify(api.hub.stats()));
  });
});
