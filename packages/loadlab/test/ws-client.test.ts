import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { buildTickFrames, runScenario, WsClient } from '@tickstorm/loadlab';
import { TickBatchReader } from '@tickstorm/protocol';
import { WebSocketServer } from 'ws';

const WS_SCRIPT = new URL('../src/modes/ws-send-script.ts', import.meta.url).href;

async function sink(onConnection?: (ws: import('ws').WebSocket) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const counts = { frames: 0, ticks: 0 };
  const reader = new TickBatchReader();
  wss.on('connection', (ws) => {
    onConnection?.(ws);
    ws.on('message', (data: Buffer, binary: boolean) => {
      counts.frames++;
      if (binary) {
        assert.equal(reader.read(new Uint8Array(data)), null);
        counts.ticks += reader.count;
      } else {
        const m = JSON.parse(data.toString()) as unknown;
        counts.ticks += Array.isArray(m) ? m.length : 1;
      }
    });
  });
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  const close = () =>
    new Promise<void>((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    });
  return { url, counts, close };
}

test('prebuilt zero-masked frames arrive intact through a ws server: JSON, arrays, binary batches', async () => {
  const s = await sink();
  try {
    for (const kind of ['json', 'json-array', 'binary'] as const) {
      const frames = buildTickFrames({ kind, ticksPerFrame: 10, variants: 4 });
      const c = await WsClient.connect({ url: s.url });
      for (let i = 0; i < 100; i++) assert.equal(c.sendFrame(frames[i % 4]), true);
      c.sendPayload(kind === 'binary' ? frames[0].bytes.subarray(8) : '{"type":"tick"}');
      await c.close();
      assert.equal(c.framesSent, 101);
    }
    assert.equal(s.counts.frames, 303);
    assert.equal(s.counts.ticks, 100 + 1 + 1000 + 1 + 1000 + 10);
  } finally {
    await s.close();
  }
});

test('ws-send script: the scheduled ticks are sent and received, rate exact', async () => {
  const s = await sink();
  try {
    const { result, counters } = await runScenario({
      executor: {
        executor: 'constant-arrival-rate',
        rate: 2000,
        duration: '1s',
        preAllocatedVUs: 10,
        maxVUs: 100,
      },
      workers: 1,
      script: { module: WS_SCRIPT },
      params: { url: s.url, kind: 'binary', ticksPerFrame: 50, connections: 2 },
    });
    assert.equal(counters.ticksSent, 100_000);
    assert.equal(counters.wsFramesSent, 2000);
    assert.equal(result.requests, 2000);
    assert.equal(s.counts.ticks, 100_000);
  } finally {
    await s.close();
  }
});

test('ws-send script honours backpressure: a sink that stops reading causes drops, not unbounded buffering', async () => {
  const s = await sink((ws) => (ws as unknown as { _socket: import('node:net').Socket })._socket.pause());
  try {
    const { result, counters } = await runScenario({
      executor: {
        executor: 'constant-arrival-rate',
        rate: 20_000,
        duration: '1s',
        preAllocatedVUs: 10,
        maxVUs: 50,
        gracefulStop: '0s',
      },
      workers: 1,
      script: { module: WS_SCRIPT },
      params: { url: s.url, kind: 'json-array', ticksPerFrame: 100, highWaterBytes: 256 * 1024 },
    });
    assert.ok(result.generator.droppedIterations > 0);
    assert.ok(
      counters.wsBytesSent < 64 * 1024 * 1024,
      `sent ${counters.wsBytesSent} bytes into a stopped sink`,
    );
    assert.equal(result.generator.saturated, true);
  } finally {
    await s.close();
  }
});
