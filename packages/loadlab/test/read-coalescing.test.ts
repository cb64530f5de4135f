import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { HttpClient, prepareRequest, RequestEvents } from '@tickstorm/loadlab';
import { MAX_NAP_US, napAfterTurn } from '../src/clients/read-coalescing.ts';
import { nowUs } from '../src/util/clock.ts';

/** A plain node:http target in a child process (a target in the test's own thread would nap with it). */
async function childTarget(): Promise<{ url: string; close: () => Promise<void> }> {
  const code =
    "require('node:http').createServer((q, r) => r.end('ok'))" +
    ".listen(0, '127.0.0.1', function () { console.log(this.address().port); });";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    url: `http://127.0.0.1:${Number(line)}/`,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await once(child, 'exit');
      }
    },
  };
}

test('read coalescing: naps latency/8, at most 100 µs, only where two more responses are due', () => {
  // 50 in flight at 650 µs: one response read this turn -> nap 81.25 µs (about 6 more due)
  assert.equal(napAfterTurn(50, 1, 650), 650 / 8);
  // a slow target: capped at 100 µs, and still >= 2 responses due (50 x 100 / 2000 = 2.5)
  assert.equal(napAfterTurn(50, 3, 2000), MAX_NAP_US);
  // slower still: fewer than 2 responses due in 100 µs -> no nap (it would cost a wake-up)
  assert.equal(napAfterTurn(50, 3, 3000), 0);
  // few connections: 4 in flight never pay (4 x nap / latency = 0.5)
  assert.equal(napAfterTurn(4, 1, 400), 0);
  // a fast target: latency/8 under 10 µs is not worth a sleep
  assert.equal(napAfterTurn(50, 1, 60), 0);
  // a busy generator (half of the requests in flight were waiting) never naps
  assert.equal(napAfterTurn(50, 25, 650), 0);
  assert.ok(napAfterTurn(50, 24, 650) > 0);
  // no latency seen yet
  assert.equal(napAfterTurn(50, 1, 0), 0);
});

test('read coalescing: an HttpClient with it naps under a closed loop, one without never does', async () => {
  const srv = await childTarget();
  try {
    const req = prepareRequest(srv.url, {});
    for (const coalesceReads of [true, false]) {
      let done = 0;
      let ok = 0;
      const events = new RequestEvents();
      events.on((e) => {
        if (e.ok) ok++;
      });
      const total = 20_000;
      const connections = 32;
      let finish!: () => void;
      const finished = new Promise<void>((r) => {
        finish = r;
      });
      let sent = 0;
      const client: HttpClient = new HttpClient({
        url: srv.url,
        connections,
        events,
        coalesceReads,
        onDone: (tag, at) => {
          if (++done === total) finish();
          else if (sent < total) {
            sent++;
            client.submit(tag, req, at);
          }
        },
      });
      for (; sent < connections; sent++) client.submit(sent, req, nowUs());
      await finished;
      const c = client.counters();
      await client.close();
      assert.equal(ok, total, 'every request answered');
      if (coalesceReads) {
        // a node:http target answers 32 in flight in well over 80 µs (nap >= 10 µs, 4 due), and
        // a turn that reads fewer than 16 of them ends in a nap
        assert.ok((c.readNaps ?? 0) > 0, JSON.stringify(c));
        // the time slept is measured: at least 10 µs a nap (the shortest asked for)
        assert.ok((c.readNapUs ?? 0) >= (c.readNaps ?? 0) * 10, JSON.stringify(c));
      } else {
        assert.equal(c.readNaps, undefined, JSON.stringify(c));
      }
    }
  } finally {
    await srv.close();
  }
});
