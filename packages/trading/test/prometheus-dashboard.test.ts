/**
 * The real Prometheus (Debian's `prometheus`, installed by .ci/run) against a running system
 * under load: `tickstorm serve` (every one of its four ports serves the process's /metrics,
 * each scraped as its own job) and two load generators (`tickstorm run ws-concurrency`
 * with its tick feed, `tickstorm run order-stress`), each serving its own /metrics
 * (--metrics-port). Prometheus gets a generated config (1 s scrapes) on a free port; the
 * test polls its HTTP API until every target has been scraped, then until every PromQL
 * expression of monitoring/grafana/dashboards/*.json returns data, and the rules of
 * monitoring/rules/*.rules.yml (loaded as monitoring/prometheus.yml loads them) evaluate, each
 * series they select having samples and each recording data. A process that runs one service
 * alone serves /metrics for that process too. Teardown stops everything.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  postRejectedOrder,
  REPO_ROOT,
  runTargetFlags,
  serveSandbox,
  TICKSTORM,
  ZERO_PORT_FLAGS,
} from './support/child-process.ts';
import {
  havePrometheus,
  PROMETHEUS,
  type PrometheusServer,
  poll,
  startPrometheus,
} from './support/prometheus-server.ts';

const DASHBOARDS = join(REPO_ROOT, 'monitoring', 'grafana', 'dashboards');

/** Every `expr` of every panel target in the dashboards. */
function dashboardExpressions(): { panel: string; expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  for (const f of readdirSync(DASHBOARDS).filter((n) => n.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8'));
    for (const p of d.panels ?? []) {
      for (const t of p.targets ?? [])
        if (typeof t.expr === 'string') out.push({ panel: p.title, expr: t.expr });
    }
  }
  return out;
}

/** A child whose stderr is collected; `line(re)` resolves with the first match. */
function child(args: string[]): {
  proc: ChildProcess;
  text: () => string;
  match: (re: RegExp) => Promise<RegExpMatchArray>;
} {
  const proc = spawn(args[0], args.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    text += String(d);
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    text: () => text,
    async match(re) {
      for (;;) {
        const m = text.match(re);
        if (m !== null) return m;
        if (proc.exitCode !== null) throw new Error(`${args.join(' ')} exited (${proc.exitCode}):\n${text}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), exited]);
      }
    },
  };
}

async function stop(p: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill(signal);
  const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const haveProm = havePrometheus;

describe('Prometheus scrapes every process; every dashboard expression returns data', {
  skip: haveProm ? false : `${PROMETHEUS} is not installed (.ci/run installs it)`,
}, () => {
  const box = serveSandbox('tickstorm-prom-');
  const procs: ChildProcess[] = [];
  let prom: PrometheusServer | undefined;
  let urls: Record<string, string> = {};
  const jobs: Record<string, string> = {};

  before(async () => {
    const served = await box.serve(['--data-dir', box.tmp(), ...ZERO_PORT_FLAGS]);
    urls = served.urls;
    for (const [name, url] of Object.entries(urls)) jobs[`tickstorm-${name}`] = new URL(url).host;
    const target = [...runTargetFlags(urls), '--metrics-port', '0'];
    const gens = [
      ['ws-concurrency', '--duration', '120s', '--clients', '10', '--tick-rate', '1000'],
      ['order-stress', '--duration', '120s', '--rate', '50'],
    ];
    for (const [i, g] of gens.entries()) {
      const c = child([process.execPath, TICKSTORM, 'run', ...g, ...target]);
      procs.push(c.proc);
      const m = await c.match(/generator metrics: (http:\/\/\S+)\/metrics/);
      jobs[`loadgen${i === 0 ? '' : `-${g[0]}`}`] = new URL(m[1]).host;
    }
    // One rejected order, so the rejections-by-reason series exists.
    await postRejectedOrder(urls);
    // the shipped rules, as monitoring/prometheus.yml loads them
    prom = await startPrometheus(jobs, undefined, [join(REPO_ROOT, 'monitoring', 'rules', '*.rules.yml')]);
  });

  after(async () => {
    await prom?.stop();
    for (const p of procs.reverse()) await stop(p, 'SIGTERM');
    await box.cleanup();
  });

  test('every target is up and scraped', async (t) => {
    const targets = await poll('every target scraped', 60_000, async () => {
      const active = await prom!.targets();
      if (active.length !== Object.keys(jobs).length) return undefined;
      return active.every((a) => a.health === 'up') ? active : undefined;
    });
    for (const a of targets)
      t.diagnostic(`${a.labels.job}: scrape ${(a.lastScrapeDuration * 1000).toFixed(2)} ms`);
  });

  test('every PromQL expression of the dashboard returns data', async () => {
    const exprs = dashboardExpressions();
    assert.ok(exprs.length >= 20, `dashboard expressions: ${exprs.length}`);
    const missing: string[] = [];
    for (const { panel, expr } of exprs) {
      const ok = await poll(`${panel}: ${expr}`, 60_000, async () =>
        (await prom!.query(expr)).length > 0 ? true : undefined,
      ).catch(() => false);
      if (!ok) missing.push(`${panel}: ${expr}`);
    }
    assert.deepEqual(missing, [], 'expressions without data');
  });

  test('every shipped rule loads and evaluates; each series it selects has samples', async () => {
    const rules = await poll('the rules evaluated', 60_000, async () => {
      const r = await prom!.rules();
      return r.length > 0 && r.every((x) => x.health === 'ok') ? r : undefined;
    }).catch(async () => prom!.rules());
    assert.ok(rules.length >= 10, `rules loaded: ${rules.length}`);
    assert.deepEqual(
      rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`),
      [],
      'every rule evaluates',
    );
    const missing: string[] = [];
    for (const r of rules) {
      // every selector of a metric the system or the generator exports (not a recording's name)
      const selectors = new Set(
        [...r.query.matchAll(/\b((?:tickstorm|process|nodejs|loadlab)_[a-z0-9_]+|up)(\{[^}]*\})?/g)].map(
          (m) => m[0],
        ),
      );
      assert.ok(selectors.size > 0, `${r.name} selects a metric`);
      for (const sel of selectors) {
        const ok = await poll(`${r.name}: ${sel}`, 30_000, async () =>
          (await prom!.query(`count(${sel})`)).length > 0 ? true : undefined,
        ).catch(() => false);
        if (!ok) missing.push(`${r.name}: ${sel}`);
      }
      if (r.type === 'recording') {
        const ok = await poll(r.name, 30_000, async () =>
          (await prom!.query(r.name)).length > 0 ? true : undefined,
        ).catch(() => false);
        if (!ok) missing.push(`${r.name}: no samples recorded`);
      }
    }
    assert.deepEqual(missing, [], 'rule selectors or recordings without samples');
  });

  test('a process running one service alone serves /metrics for itself', async () => {
    const alone = await box.serve(['market-data', '--data-dir', box.tmp(), ...ZERO_PORT_FLAGS]);
    const text = await (await fetch(`${alone.urls['market-data']}/metrics`)).text();
    assert.match(text, /^tickstorm_market_data_ticks_received_total /m);
    assert.match(text, /^tickstorm_market_data_processing_seconds_bucket\{le="0\.001"\} /m);
    assert.match(text, /^process_resident_memory_bytes /m);
    assert.doesNotMatch(text, /tickstorm_ws_clients|tickstorm_orders_received_total/);
    await stop(alone.child);
  });
});

describe('with --keys, Prometheus scrapes /metrics with basic_auth (key id, secret)', {
  skip: haveProm ? false : `${PROMETHEUS} is not installed (.ci/run installs it)`,
}, () => {
  const box = serveSandbox('tickstorm-prom-keys-');
  let prom: PrometheusServer | undefined;
  let dir = '';
  let urls: Record<string, string> = {};
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tickstorm-prom-keys-'));
    const keys = [
      { id: 'scraper', secret: 'scrape-secret-0123456', role: 'viewer' },
      { id: 'feeder', secret: 'feed-secret-01234567', role: 'feed' },
    ];
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys));
    writeFileSync(join(dir, 'scraper.secret'), 'scrape-secret-0123456');
    urls = (await box.serve(['--keys', join(dir, 'keys.json'), '--data-dir', box.tmp(), ...ZERO_PORT_FLAGS]))
      .urls;
  });

  after(async () => {
    await prom?.stop();
    await box.cleanup();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('direct: no credentials, a wrong secret, a feed key, Basic elsewhere: refused with codes', async () => {
    const get = async (path: string, authorization?: string) => {
      const r = await fetch(`${urls.api}${path}`, authorization ? { headers: { authorization } } : {});
      return {
        status: r.status,
        code: ((await r.json().catch(() => ({}))) as { error?: { code: string } }).error?.code,
      };
    };
    assert.deepEqual(await get('/metrics'), { status: 401, code: 'TRD_ERR_UNAUTHENTICATED' });
    assert.deepEqual(await get('/metrics', basic('scraper', 'nope')), {
      status: 401,
      code: 'TRD_ERR_BAD_SIGNATURE',
    });
    assert.deepEqual(await get('/metrics', basic('ghost', 'x')), {
      status: 401,
      code: 'TRD_ERR_UNKNOWN_KEY',
    });
    assert.deepEqual(await get('/metrics', basic('feeder', 'feed-secret-01234567')), {
      status: 403,
      code: 'TRD_ERR_FORBIDDEN',
    });
    assert.deepEqual(await get('/metrics', 'Bearer scrape-secret-0123456'), {
      status: 401,
      code: 'TRD_ERR_UNAUTHENTICATED',
    });
    // Basic credentials are for /metrics only: elsewhere a request must be signed
    assert.deepEqual(await get('/api/metrics/system', basic('scraper', 'scrape-secret-0123456')), {
      status: 401,
      code: 'TRD_ERR_UNAUTHENTICATED',
    });
    const ok = await fetch(`${urls.api}/metrics`, {
      headers: { authorization: basic('scraper', 'scrape-secret-0123456') },
    });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^process_resident_memory_bytes /m);
  });

  test('every port of the keyed system is up in a real Prometheus with basic_auth', async () => {
    prom = await startPrometheus(
      { tickstorm: Object.values(urls).map((u) => new URL(u).host) },
      { username: 'scraper', passwordFile: join(dir, 'scraper.secret') },
    );
    const up = await poll('every keyed target scraped', 60_000, async () => {
      const active = await prom!.targets();
      if (active.length !== Object.keys(urls).length) return undefined;
      return active.every((a) => a.health === 'up') ? active : undefined;
    });
    assert.equal(up.length, 4);
  });
});
