/**
 * The web UI of a master (Locust's Workers tab): a MasterPool with two in-process workers over
 * real sockets, a SwarmController on it and the web UI. /stats/requests lists both workers
 * (state, users adding up to the total, CPU, memory, the host they came from); a worker that
 * leaves is listed as missing with 0 users and its users go to the other; the page (Debian's
 * Chromium through playwright-core) shows the rows and the header's worker count.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import type { Browser } from 'playwright-core';
import { MasterPool } from '../src/swarm/master-pool.ts';
import { runSwarmWorker } from '../src/swarm/remote-worker.ts';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';
import type { StatsDocument } from '../src/swarm/web/stats-json.ts';
import { type SwarmWeb, startSwarmWeb } from '../src/swarm/web/swarm-web.ts';
import { CHROMIUM, launchChromium } from './support/web-ui.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-counted-users.ts', import.meta.url));
let target: LocalServer;
let pool: MasterPool;
let controller: SwarmController;
let web: SwarmWeb;
let browser: Browser | null = null;
const log: string[] = [];
/** 'beat' at each worker heartbeat and each master log line: the moments the document changes. */
const changes = new EventEmitter();
const workers: { abort: AbortController; exit: Promise<number>; id: string | null }[] = [];

before(async () => {
  target = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  pool = await MasterPool.listen({
    bindHost: '127.0.0.1',
    bindPort: 0,
    expectWorkers: 2,
    expectWaitMs: 20_000,
    log: (l) => {
      log.push(l);
      changes.emit('beat');
    },
    onHeartbeat: () => changes.emit('beat'),
  });
  const file = await loadUserFile(USERS);
  controller = new SwarmController({
    file,
    classNames: ['Streamer'],
    host: target.url,
    provider: pool,
    log: (l) => log.push(l),
  });
  web = await startSwarmWeb({ controller, port: 0, workers: () => pool.workersReport() });
  for (let i = 0; i < 2; i++) {
    const abort = new AbortController();
    const w: (typeof workers)[number] = { abort, exit: Promise.resolve(0), id: null };
    w.exit = runSwarmWorker({
      file,
      masterHost: '127.0.0.1',
      masterPort: pool.port,
      version: 't',
      signal: abort.signal,
      out: (t) => {
        const m = /as worker (\S+)/.exec(t);
        if (m !== null) w.id = m[1];
      },
      err: (t) => log.push(`worker ${i}: ${t}`),
    });
    workers.push(w);
  }
});

after(async () => {
  await browser?.close();
  await web?.close();
  await controller?.stop();
  await controller?.close();
  await pool?.close(); // quit: the workers exit
  for (const w of workers) w.abort.abort(); // (a no-op for those that did)
  await Promise.all(workers.map((w) => w.exit));
  await target?.close();
});

const doc = async () => (await (await fetch(new URL('/stats/requests', web.url))).json()) as StatsDocument;

/** The document once `pred` holds, checked at each heartbeat or log line (bounded). */
function until(pred: (d: StatsDocument) => boolean, timeoutMs: number): Promise<StatsDocument> {
  return new Promise((resolve, reject) => {
    let last: StatsDocument | null = null;
    let busy = false;
    const check = async () => {
      if (busy) return;
      busy = true;
      try {
        last = await doc();
        if (pred(last)) finish(() => resolve(last!));
      } finally {
        busy = false;
      }
    };
    const finish = (f: () => void) => {
      clearTimeout(timer);
      changes.off('beat', check);
      f();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`not within ${timeoutMs} ms: ${JSON.stringify(last?.workers)}`))),
      timeoutMs,
    );
    changes.on('beat', check);
    void check();
  });
}

const connected = (d: StatsDocument) => (d.workers ?? []).filter((w) => w.state !== 'missing');
const usersOn = (d: StatsDocument) => connected(d).reduce((n, w) => n + w.user_count, 0);

describe('the web UI of a --master', () => {
  it('lists both workers with their state, users, CPU, memory and host', async () => {
    const ready = await until((d) => d.worker_count === 2, 20_000);
    assert.equal(ready.is_distributed, true);
    assert.deepEqual(
      ready.workers!.map((w) => w.state),
      ['ready', 'ready'],
    );
    await controller.start({ users: 4, spawnRate: 100 });
    const d = await until(
      (x) => x.user_count === 4 && usersOn(x) === 4 && connected(x).every((w) => w.state === 'running'),
      10_000,
    );
    assert.equal(d.worker_count, 2);
    assert.deepEqual(d.workers!.map((w) => w.id).sort(), workers.map((w) => w.id).sort());
    assert.deepEqual(
      d.workers!.map((w) => w.user_count),
      [2, 2],
      'a ramp from 0 spreads evenly',
    );
    for (const w of d.workers!) {
      assert.equal(w.host, '127.0.0.1');
      assert.ok(w.memory_usage! > 10 * 1024 * 1024, `RSS ${w.memory_usage}`);
      assert.ok(typeof w.cpu_usage === 'number' && w.cpu_usage >= 0, `CPU ${w.cpu_usage}`);
    }
    assert.ok(typeof d.master_cpu_usage === 'number' && d.master_cpu_usage >= 0);
    assert.ok(d.master_memory_usage! > 0);
  });

  it('shows the rows in the page, and a worker that leaves as missing', async (t) => {
    if (!existsSync(CHROMIUM))
      t.diagnostic(`${CHROMIUM} is absent: the endpoint only (CI installs Debian's chromium)`);
    const page = existsSync(CHROMIUM)
      ? await (async () => {
          browser = await launchChromium();
          const p = await browser.newPage();
          p.setDefaultTimeout(15_000);
          await p.goto(web.url);
          return p;
        })()
      : null;
    if (page !== null) {
      await page.locator('#workers-section').waitFor({ state: 'visible' });
      await page.locator('tr[data-testid="worker-row"][data-state="running"]').nth(1).waitFor();
      assert.equal(await page.locator('tr[data-testid="worker-row"]').count(), 2);
      assert.equal(await page.textContent('#status-workers'), '2');
      const first = page.locator(`tr[data-id="${workers[0].id}"]`);
      assert.equal(await first.locator('td[data-col="user_count"]').textContent(), '2');
      assert.equal(await first.locator('td[data-col="host"]').textContent(), '127.0.0.1');
      assert.match((await first.locator('td[data-col="cpu_usage"]').textContent()) ?? '', /^\d+\.\d%$/);
      assert.match((await first.locator('td[data-col="memory_usage"]').textContent()) ?? '', /^\d+ MB$/);
    }

    const leaving = workers[1];
    leaving.abort.abort(); // Ctrl-C on the worker: it says bye, the master counts it missing
    const d = await until(
      (x) => x.workers!.some((w) => w.id === leaving.id && w.state === 'missing') && usersOn(x) === 4,
      10_000,
    );
    assert.equal(await leaving.exit, 105);
    assert.equal(d.worker_count, 1);
    const gone = d.workers!.find((w) => w.id === leaving.id)!;
    assert.equal(gone.user_count, 0);
    assert.match(gone.reason ?? '', /it quit/);
    assert.equal(d.workers!.find((w) => w.id === workers[0].id)!.user_count, 4, 'its users moved');

    if (page !== null) {
      await page.locator(`tr[data-id="${leaving.id}"][data-state="missing"]`).waitFor();
      await page.locator('#status-workers', { hasText: /^1$/ }).waitFor();
      assert.equal(await page.locator('tr[data-testid="worker-row"]').count(), 2, 'the missing row stays');
      assert.equal(await page.getAttribute(`tr[data-id="${leaving.id}"]`, 'class'), 'missing');
    }
  });
});
