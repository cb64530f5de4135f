/**
 * One clock read per socket read: the time a response was read ends its latency, is handed
 * to `onDone(tag, atUs)`, and starts the closed-model VU's next request, so back-to-back
 * requests of one VU tile time with no gap and every one is recorded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  HttpClient,
  httpLoadScript,
  prepareRequest,
  type RequestEvent,
  RequestEvents,
  runScenario,
} from '@tickstorm/loadlab';
import { startServer } from '@tickstorm/loadlab/testing';

test('http client: onDone gets the read time, which is the event time', async () => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok');
  });
  const events = new RequestEvents();
  const seen: number[] = [];
  events.on((ev: RequestEvent) => seen.push(ev.timeUs));
  const done: [number, number][] = [];
  const req = prepareRequest(srv.url);
  let client: HttpClient | undefined;
  const finished = new Promise<void>((resolve) => {
    client = new HttpClient({
      url: srv.url,
      connections: 1,
      events,
      onDone: (tag, atUs) => {
        done.push([tag, atUs]);
        if (done.length < 3) client!.submit(tag + 1, req, atUs);
        else resolve();
      },
    });
  });
  try {
    client!.submit(7, req, performance.now() * 1000);
    await finished;
    assert.deepEqual(
      done.map((d) => d[0]),
      [7, 8, 9],
    );
    assert.deepEqual(
      done.map((d) => d[1]),
      seen,
    );
    assert.ok(done[0][1] < done[1][1] && done[1][1] < done[2][1]);
  } finally {
    await client!.close();
    await srv.close();
  }
});

test('closed model over the raw client: every request recorded, the next one starting at the last read', async () => {
  const srv = await startServer((_req, res) => {
    res.writeHead(200, { 'content-length': '2' });
    res.end('ok');
  });
  try {
    const out = await runScenario({
      executor: { executor: 'per-vu-iterations', vus: 2, iterations: 20, maxDuration: '10s' },
      script: httpLoadScript,
      params: { url: srv.url },
      workers: 1,
    });
    assert.equal(out.result.requests, 40);
    assert.equal(out.result.failures, 0);
    assert.equal(out.stats.totalLatency().count, 40);
    assert.deepEqual(out.stats.entries[0].statusCounts(), { '200': 40 });
  } finally {
    await srv.close();
  }
});
