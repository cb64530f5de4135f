/**
 * The web UI of a --master whose --expect-workers never arrive: POST /swarm waits for them
 * at most --expect-workers-max-wait, then answers 503 with LAB_ERR_WORKERS_MISSING (the
 * error's own code, not a generic 500), and nothing runs. Real sockets, ports from the OS.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MasterPool } from '../src/swarm/master-pool.ts';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';
import { type SwarmWeb, startSwarmWeb } from '../src/swarm/web/swarm-web.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-counted-users.ts', import.meta.url));

let pool: MasterPool;
let controller: SwarmController;
let web: SwarmWeb;
const log: string[] = [];

before(async () => {
  pool = await MasterPool.listen({
    bindHost: '127.0.0.1',
    bindPort: 0,
    expectWorkers: 2,
    expectWaitMs: 300,
    log: (l) => log.push(l),
  });
  controller = new SwarmController({
    file: await loadUserFile(USERS),
    classNames: ['Streamer'],
    host: 'http://127.0.0.1:1',
    provider: pool,
    log: (l) => log.push(l),
  });
  web = await startSwarmWeb({ controller, port: 0, workers: () => pool.workersReport() });
});

after(async () => {
  await web?.close();
  await controller?.stop();
  await controller?.close();
  await pool?.close();
});

test('POST /swarm with too few workers: 503 LAB_ERR_WORKERS_MISSING after the bound, nothing runs', async () => {
  const res = await fetch(new URL('/swarm', web.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_count: 2, spawn_rate: 10 }),
  });
  const body = (await res.json()) as { success: boolean; code: string; message: string };
  assert.equal(res.status, 503, JSON.stringify(body));
  assert.equal(body.success, false);
  assert.equal(body.code, 'LAB_ERR_WORKERS_MISSING');
  assert.match(body.message, /only 0 of 2 workers connected within 0\.3 s/);
  const stats = (await (await fetch(new URL('/stats/requests', web.url))).json()) as {
    state: string;
    user_count: number;
  };
  assert.equal(stats.user_count, 0);
  assert.notEqual(stats.state, 'running');
});
