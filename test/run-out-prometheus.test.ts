/**
 * `tickstorm run --out prometheus=PORT` (k6's output name for the generator's live figures):
 * while a scenario runs against the real system, or a script against a local server, the
 * generator serves Prometheus text at /metrics on the port (0: one the OS picks, printed), and
 * the counters move. A check or request name with quotes, backslashes, a newline or unicode is
 * a label value escaped as the text format says and read back as given (before, those
 * characters became '_', and a check named with a newline was in neither /metrics nor the
 * summary).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { TradingSystem } from '@tickstorm/trading';
import { BIN, tickstorm } from './support/cli.ts';
import { assertPromtoolAccepts, total } from './support/prom-scrape.ts';
import { runScraped } from './support/scrape-run.ts';

/** A check's and a request's name with what the text format escapes, and unicode. */
const ODD = 'ok "200" \\ C:\\x\nnext ☃';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-out-prom-'));
let sys: TradingSystem;

before(async () => {
  sys = await TradingSystem.start({
    config: {
      host: '127.0.0.1',
      dataDir: dir,
      ports: { 'market-data': 0, 'execution-engine': 0, 'risk-manager': 0, api: 0 },
    },
    report: () => {},
  });
});

after(async () => {
  await sys.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `tickstorm ARGS`, waits for its "generator metrics: URL" line, polls the URL until `scenario` has requests. */
async function scrapeWhileRunning(
  args: string[],
  scenario: string,
): Promise<{ seen: number; code: number | null; err: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "generator metrics" line:\n${err}`)), 60_000);
    child.stderr.on('data', (d) => {
      err += String(d);
      const m = /generator metrics: (http:\/\/\S+)/.exec(err);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  let seen = 0;
  const t0 = performance.now();
  const line = new RegExp(`^loadlab_requests_total\\{scenario="${scenario}"\\} (\\d+)`, 'm');
  while (seen === 0 && performance.now() - t0 < 20_000) {
    const text = await (await fetch(url)).text();
    assert.match(text, /# TYPE loadlab_requests_total counter/);
    const m = line.exec(text);
    seen = m === null ? 0 : Number(m[1]);
  }
  return { seen, code: await exited, err };
}

test('--out prometheus=0 on a script run: its scenarios are at /metrics while it runs', async () => {
  const target = await startPathCounter();
  try {
    const f = join(dir, 'prom.ts');
    writeFileSync(
      f,
      `import http from 'tickstorm/http';
export const options = { scenarios: { browse: { executor: 'constant-vus', vus: 2, duration: '4s' } } };
export default async function () { await http.get('${target.url.replace(/\/$/, '')}/ok'); }
`,
    );
    const r = await scrapeWhileRunning(['run', f, '--out', 'prometheus=0'], 'browse');
    assert.ok(r.seen > 0, 'requests counted while the run goes');
    assert.equal(r.code, 0, r.err);
  } finally {
    await target.close();
  }
});

test('--out prometheus=0: a scraper reading until the end sees every request of the run', async (t) => {
  const target = await startPathCounter();
  let child: ChildProcess | undefined;
  t.after(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });
  try {
    const f = join(dir, 'prom-final.ts');
    const json = join(dir, 'prom-final.json');
    const summary = join(dir, 'prom-final-summary.json');
    // a check and a request named with a quote, a backslash, a newline and unicode
    writeFileSync(
      f,
      `import http from 'tickstorm/http';
import { check } from 'tickstorm';
export const options = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 200, timeUnit: '1s', duration: '3s', preAllocatedVUs: 5 } } };
export default async function () {
  const r = await http.get('${target.url.replace(/\/$/, '')}/ok', { tags: { name: ${JSON.stringify(ODD)} } });
  check(r, { ${JSON.stringify(ODD)}: (x) => x.status === 200 });
}
`,
    );
    // scrape as Prometheus would (every 100 ms here) until the endpoint goes away
    const run = await runScraped(
      ['run', f, '--out', 'prometheus=0', '--json', json, '--summary-export', summary],
      (c) => {
        child = c;
      },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /waiting up to \d+\.\d s for the last scrape/);
    const m = /^loadlab_requests_total\{scenario="s"\} (\d+)/m.exec(run.texts[run.texts.length - 1] ?? '');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    // 600 planned on 5 VUs: a stall of the busy box (400 ms seen) finds them all busy and drops
    // the iterations due meanwhile (counted), so the run's count is exact, not a share of 600
    const dropped = report.scenarios[0].generator.droppedIterations as number;
    assert.equal(report.requests + dropped, 600, `requests ${report.requests}, dropped ${dropped}`);
    assert.ok(report.requests > 0);
    assert.equal(Number(m?.[1]), report.requests, 'the last scrape saw every request the report counts');
    // the odd names: escaped in the text (promtool accepts it), read back as given, every one counted
    const last = run.texts[run.texts.length - 1] ?? '';
    assertPromtoolAccepts(t, last);
    assert.equal(total(last, 'loadlab_checks_total', { check: ODD, result: 'pass' }), report.requests);
    assert.equal(total(last, 'loadlab_request_duration_seconds_count', { name: ODD }), report.requests);
    const exported = JSON.parse(readFileSync(summary, 'utf8'));
    assert.equal(exported.root_group.checks[ODD]?.passes, report.requests, 'the summary lists the check');
  } finally {
    await target.close();
  }
});

test('--out prometheus=0: the generator serves loadlab_* counters at /metrics while it runs', async () => {
  const r = await scrapeWhileRunning(
    [
      'run',
      'order-stress',
      '--orders-url',
      sys.url('execution-engine'),
      '--risk-url',
      sys.url('risk-manager'),
      '--api-url',
      sys.url('api'),
      '--market-data-url',
      sys.url('market-data'),
      '--rate',
      '200',
      '--duration',
      '4s',
      '--no-bench',
      '--no-watch',
      '--out',
      'prometheus=0',
    ],
    'order-stress',
  );
  assert.ok(r.seen > 0, 'requests counted while the run goes');
  // what is tested here is the exporter: order-stress's own latency targets can miss (99) on a
  // loaded machine (p95 119 ms at load 11 was seen), which says nothing about /metrics
  assert.ok(r.code === 0 || r.code === 99, `exit ${r.code}: ${r.err}`);
});

test('--out prometheus takes no port twice', async () => {
  const twice = await tickstorm(['run', 'order-stress', '--out', 'prometheus=9', '--metrics-port', '9']);
  assert.equal(twice.code, 104);
  assert.match(twice.stderr, /--out prometheus=9: give the port once/);
  const bad = await tickstorm(['run', 'order-stress', '--out', 'prometheus:x']);
  assert.equal(bad.code, 104);
});
