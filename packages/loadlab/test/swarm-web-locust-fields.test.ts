/**
 * GET /stats/requests under Locust's names, for scripts written against Locust's web UI:
 * top-level current_rps / current_fail_per_sec, current_response_time_percentiles keyed
 * response_time_percentile_0.5 / _0.95, and each row's total_rps / total_fail_per_sec.
 * A real target server, a real web server on an OS port, the test driven over HTTP.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import type { TimeSlice } from '../src/model/result.ts';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';
import { type SwarmWeb, startSwarmWeb } from '../src/swarm/web/swarm-web.ts';

let target: LocalServer;
let controller: SwarmController;
let web: SwarmWeb;

before(async () => {
  target = await startServer((req, res) => {
    req.resume();
    res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  const file = await loadUserFile(fileURLToPath(new URL('./fixtures/web-users.ts', import.meta.url)));
  controller = new SwarmController({ file, classNames: [], host: target.url });
  web = await startSwarmWeb({ controller, port: 0 });
});

after(async () => {
  await web?.close();
  await controller?.close();
  await target?.close();
});

type Doc = Record<string, unknown> & {
  stats: Record<string, number | string>[];
  current_response_time_percentiles: Record<string, number>;
};

describe("/stats/requests: Locust's field names", () => {
  it('current_rps, current_fail_per_sec, response_time_percentile_0.5/0.95 and per-row total rates', async () => {
    const started = await fetch(new URL('/swarm', web.url), {
      method: 'POST',
      body: new URLSearchParams({ user_count: '2', spawn_rate: '100' }),
    });
    assert.equal(started.status, 200);
    let failures = 0;
    while (failures === 0) failures += ((await once(controller, 'slice')) as [TimeSlice])[0].failures;
    const doc = (await (await fetch(new URL('/stats/requests', web.url))).json()) as Doc;
    assert.equal(doc.current_rps, doc.total_rps);
    assert.equal(doc.current_fail_per_sec, doc.total_fail_per_sec);
    assert.ok((doc.current_rps as number) > 0 && (doc.current_fail_per_sec as number) > 0);
    const p = doc.current_response_time_percentiles;
    assert.equal(p['response_time_percentile_0.5'], p.p50);
    assert.equal(p['response_time_percentile_0.95'], p.p95);
    assert.ok(p['response_time_percentile_0.95'] > 0);
    const agg = doc.stats.at(-1)!;
    assert.equal(agg.name, 'Aggregated');
    const missing = doc.stats.find((r) => r.name === 'missing')!;
    for (const row of [agg, missing]) {
      assert.equal(typeof row.total_rps, 'number');
      assert.ok((row.total_rps as number) > 0, `${row.name} total_rps`);
    }
    assert.equal(missing.total_fail_per_sec, missing.total_rps, 'every /missing failed');
    assert.equal((await fetch(new URL('/stop', web.url))).status, 200);
  });
});
