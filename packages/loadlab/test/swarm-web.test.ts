import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import type { Browser } from 'playwright-core';
import type { TimeSlice } from '../src/model/result.ts';
import {
  LOCUST_EXCEPTIONS_COLUMNS,
  LOCUST_FAILURES_COLUMNS,
  LOCUST_HISTORY_COLUMNS,
  LOCUST_STATS_COLUMNS,
  splitCsvLines,
} from '../src/report/locust-csv.ts';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';
import type { StatsDocument } from '../src/swarm/web/stats-json.ts';
import { type SwarmWeb, startSwarmWeb } from '../src/swarm/web/swarm-web.ts';
import { chromiumSkip, launchChromium } from './support/web-ui.ts';

let target: LocalServer;
let controller: SwarmController;
let web: SwarmWeb;
let browser: Browser | null = null;

before(async () => {
  target = await startServer((req, res) => {
    const answer = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.url === '/fast') answer(200, 'fast');
    else if (req.url === '/slow') setTimeout(() => answer(200, 'slow'.repeat(64)), 20);
    else answer(404, 'no such thing');
  });
  const file = await loadUserFile(fileURLToPath(new URL('./fixtures/web-users.ts', import.meta.url)));
  // --csv-full-history: the full history download has a row per request name each second
  controller = new SwarmController({
    file,
    classNames: [],
    host: `http://127.0.0.1:${target.port}`,
    fullHistory: true,
  });
  web = await startSwarmWeb({ controller, port: 0 });
});

after(async () => {
  await browser?.close();
  await web?.close();
  await controller?.close();
  await target?.close();
});

const url = (path: string) => new URL(path, web.url).href;

async function getJson<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url(path));
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return { status: res.status, body: (await res.json()) as T };
}

function postForm(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url('/swarm'), { method: 'POST', body: new URLSearchParams(fields), headers });
}

/** Waits (on the controller's per-second slices) for requests, failures and an exception. */
async function untilTrafficFailuresAndExceptions(): Promise<void> {
  let requests = 0;
  let failures = 0;
  while (requests === 0 || failures === 0 || controller.view().exceptions.length === 0) {
    const [slice] = (await once(controller, 'slice')) as [TimeSlice];
    requests += slice.requests;
    failures += slice.failures;
  }
}

describe('swarm web UI over HTTP', () => {
  it('serves the page, prefilled from the controller, with its assets offline', async () => {
    const res = await fetch(web.url);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /^<!DOCTYPE html>/);
    assert.ok(html.includes(`value="http://127.0.0.1:${target.port}"`), 'host input prefilled');
    assert.ok(html.includes('data-state="ready"'));
    assert.ok(html.includes('User classes: WebUser'));
    assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external URLs');
    for (const asset of [
      '/assets/uPlot.min.js',
      '/assets/uPlot.min.css',
      '/assets/app.js',
      '/assets/style.css',
    ]) {
      assert.ok(html.includes(asset), asset);
      const a = await fetch(url(asset));
      assert.equal(a.status, 200, asset);
      assert.ok((await a.text()).length > 100, asset);
    }
    assert.match(await (await fetch(url('/assets/uPlot.min.js'))).text(), /uPlot/);
  });

  it('answers /stats/requests before any test: ready, an empty Aggregated row, no history', async () => {
    const { status, body } = await getJson<StatsDocument>('/stats/requests');
    assert.equal(status, 200);
    assert.equal(body.state, 'ready');
    assert.equal(body.user_count, 0);
    assert.deepEqual(
      body.stats.map((s) => [s.method, s.name, s.num_requests]),
      [['', 'Aggregated', 0]],
    );
    assert.deepEqual([body.errors, body.history, body.total_rps, body.fail_ratio], [[], [], 0, 0]);
    // not a --master: no workers (Locust shows its Workers tab only when distributed)
    assert.deepEqual(
      [body.is_distributed, body.workers, body.worker_count],
      [undefined, undefined, undefined],
    );
  });

  it('rejects bad swarm values with 400, listing every problem', async () => {
    const res = await postForm({ user_count: '-1', spawn_rate: '0', host: 'ftp://example' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as {
      success: boolean;
      message: string;
      code: string;
      problems: string[];
    };
    assert.equal(body.success, false);
    assert.equal(body.code, 'LAB_ERR_INVALID_SWARM');
    assert.equal(body.problems.length, 3, body.message);
    assert.match(body.message, /users must be an integer 0..1000000, got -1/);
    assert.match(body.message, /spawn rate must be a number > 0/);
    assert.match(body.message, /host must be an http:\/\/ or https:\/\/ URL, got 'ftp:\/\/example/);

    const missing = await postForm({ spawn_rate: 'fast' });
    assert.equal(missing.status, 400);
    const m = (await missing.json()) as { problems: string[] };
    assert.deepEqual(m.problems, [
      'user_count must be an integer >= 0, got nothing',
      'spawn_rate must be a number > 0 users/s, got "fast"',
    ]);

    const json = await fetch(url('/swarm'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"user_count": 2,',
    });
    assert.equal(json.status, 400);
    assert.match(((await json.json()) as { message: string }).message, /not valid JSON/);
    assert.equal(controller.state, 'ready', 'nothing started');
  });

  it('answers unknown paths with 404 JSON, wrong methods with 405, foreign POSTs with 403', async () => {
    const nf = await getJson('/nope');
    assert.equal(nf.status, 404);
    assert.deepEqual(nf.body, { success: false, message: 'no such page: /nope', code: 'LAB_ERR_NOT_FOUND' });
    const get = await getJson('/swarm');
    assert.equal(get.status, 405);
    assert.equal(get.body.code, 'LAB_ERR_METHOD_NOT_ALLOWED');
    const foreign = await postForm({ user_count: '1', spawn_rate: '1' }, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.equal(controller.state, 'ready');
  });

  it('starts a swarm (JSON body), fills /stats/requests and re-targets it', async () => {
    const res = await fetch(url('/swarm'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_count: 4, spawn_rate: 100 }),
    });
    assert.equal(res.status, 200);
    const started = (await res.json()) as { success: boolean; message: string };
    assert.equal(started.success, true);
    assert.match(started.message, /Swarming started: 4 users at 100 users\/s/);
    await untilTrafficFailuresAndExceptions();

    const { body: doc } = await getJson<StatsDocument>('/stats/requests');
    assert.ok(doc.state === 'running' || doc.state === 'spawning', doc.state);
    assert.equal(doc.target_user_count, 4);
    assert.equal(doc.host, `http://127.0.0.1:${target.port}`);
    assert.deepEqual(Object.keys(doc.users_by_class), ['WebUser']);
    const names = doc.stats.map((s) => `${s.method} ${s.name}`);
    assert.equal(names.at(-1), ' Aggregated', 'the Aggregated row comes last');
    const agg = doc.stats.at(-1)!;
    assert.ok(agg.num_requests > 0);
    assert.equal(
      agg.num_requests,
      doc.stats.slice(0, -1).reduce((n, s) => n + s.num_requests, 0),
    );
    const fast = doc.stats.find((s) => s.name === '/fast');
    assert.ok(fast !== undefined && fast.method === 'GET' && fast.num_failures === 0, names.join());
    for (const k of [
      'median_response_time',
      'avg_response_time',
      'min_response_time',
      'max_response_time',
      'response_time_percentile_0.95',
      'response_time_percentile_0.99',
      'avg_content_length',
      'current_rps',
      'current_fail_per_sec',
    ] as const) {
      assert.equal(typeof fast[k], 'number', k);
    }
    assert.ok(doc.history.length > 0 && doc.history.some((p) => p.rps > 0));
    assert.ok(doc.total_rps > 0);
    // /missing answers 404: failures
    const missing = doc.stats.find((s) => s.name === 'missing');
    assert.ok(
      missing !== undefined && missing.num_failures === missing.num_requests && missing.num_failures > 0,
    );
    assert.ok(doc.fail_ratio > 0 && doc.fail_ratio < 1);
    assert.deepEqual(
      doc.errors.find((e) => e.name === 'missing'),
      { method: 'GET', name: 'missing', error: 'HTTP 404', occurrences: missing.num_failures },
    );

    const { body: ex } = await getJson<{ exceptions: { count: number; msg: string; nodes: string }[] }>(
      '/exceptions',
    );
    assert.equal(ex.exceptions[0]?.msg, 'Error: broken task');
    assert.ok(doc.exception_count > 0);

    const retarget = await postForm({ user_count: '2', spawn_rate: '100', host: 'http://127.0.0.1:1' });
    assert.equal(retarget.status, 200);
    assert.match(((await retarget.json()) as { message: string }).message, /re-targeted.*host stays/);
    assert.equal(controller.targetUsers, 2);
    assert.equal(controller.host, `http://127.0.0.1:${target.port}`);
  });

  it('serves Locust-compatible CSV downloads', async () => {
    const routes: [string, readonly string[], string][] = [
      ['/stats/requests/csv', LOCUST_STATS_COLUMNS, 'requests'],
      ['/stats/requests_full_history/csv', LOCUST_HISTORY_COLUMNS, 'requests_full_history'],
      ['/stats/failures/csv', LOCUST_FAILURES_COLUMNS, 'failures'],
      ['/exceptions/csv', LOCUST_EXCEPTIONS_COLUMNS, 'exceptions'],
    ];
    for (const [path, columns, stem] of routes) {
      const res = await fetch(url(path));
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
      assert.match(
        res.headers.get('content-disposition') ?? '',
        new RegExp(`^attachment; filename="${stem}_\\d+\\.csv"$`),
      );
      const lines = splitCsvLines(await res.text());
      assert.equal(lines[0], columns.join(','), path);
      if (path === '/stats/requests/csv') {
        assert.ok(lines.some((l) => l.startsWith('GET,/fast,')));
        assert.ok(lines.at(-1)!.startsWith(',Aggregated,'));
      }
      if (path === '/stats/requests_full_history/csv') {
        assert.ok(lines.length > 1, 'a history row per second');
        assert.ok(
          lines.some((l) => /^\d+,\d+,GET,\/fast,/.test(l)),
          'a row per request name (fullHistory)',
        );
        assert.ok(lines.at(-1)!.includes(',Aggregated,'), 'each second ends with its Aggregated row');
      }
      if (path === '/stats/failures/csv') assert.match(lines[1], /^GET,missing,HTTP 404,\d+$/);
      if (path === '/exceptions/csv')
        assert.match(lines[1], /^\d+,Error: broken task,"Error: broken task\n {4}at WebUser.broken/);
    }
  });

  it('resets the statistics, stops the test and keeps its statistics', async () => {
    const before = Date.now();
    const reset = await getJson('/stats/reset');
    assert.deepEqual(reset.body, { success: true, message: 'Statistics reset' });
    const afterReset = await getJson<StatsDocument>('/stats/requests');
    assert.ok((afterReset.body.stats_started_at ?? 0) >= before);

    const stop = await getJson('/stop');
    assert.deepEqual(stop.body, { success: true, message: 'Test stopped' });
    const { body: doc } = await getJson<StatsDocument>('/stats/requests');
    assert.equal(doc.state, 'stopped');
    assert.equal(doc.user_count, 0);
    assert.equal(doc.total_rps, 0);
    assert.equal(doc.stats.at(-1)!.name, 'Aggregated');
    const again = await getJson('/stop');
    assert.equal(again.body.message, 'No test is running');
  });
});

describe('swarm web UI in Chromium', () => {
  const skip = chromiumSkip;

  it('starts a swarm from the page, shows live stats and charts, and stops it', { skip }, async (t) => {
    const t0 = performance.now();
    browser = await launchChromium();
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(15_000);
    await page.goto(web.url);
    await page.waitForSelector('#chart-rps canvas');

    await page.fill('#user-count', '3');
    await page.fill('#spawn-rate', '30');
    await page.click('#start');
    // a statistics row with a request count > 0, and charts holding points
    const counted = page.locator('#stats-body tr[data-testid="stats-row"] td[data-col="num_requests"]', {
      hasText: /^[1-9]\d*$/,
    });
    await counted.first().waitFor();
    await page.locator('#chart-rps[data-points]:not([data-points="0"]) canvas').waitFor();
    assert.equal(await page.locator('#chart-rps canvas').count(), 1);
    assert.equal(await page.locator('.chart canvas').count(), 3, 'requests/s, response times, users');
    assert.match((await page.textContent('#message')) ?? '', /Swarming started: 3 users at 30 users\/s/);
    assert.equal(await page.textContent('#start'), 'Update');
    assert.equal(await page.locator('tr[data-testid="stats-aggregated"]').count(), 1);
    assert.equal(
      await page.locator('#workers-section').isHidden(),
      true,
      'no Workers table without --master',
    );
    assert.equal(await page.locator('#status-workers').isHidden(), true);
    // no class picker without --class-picker (its flex display once overrode `hidden`)
    assert.equal(await page.locator('#class-picker').isHidden(), true);
    assert.equal(controller.targetUsers, 3);
    // the fixture's `broken` task throws: the exceptions table shows it with its traceback
    const exception = page.locator('tr[data-testid="exception-row"]', { hasText: 'Error: broken task' });
    await exception.waitFor();
    assert.match((await exception.locator('pre').textContent()) ?? '', /at WebUser\.broken/);
    // the traceback reads from the left and wraps, the count stays a right-aligned number
    const align = await page.evaluate(
      '[...document.querySelector(\'tr[data-testid="exception-row"]\').children].map((td) => getComputedStyle(td).textAlign)',
    );
    assert.deepEqual(align, ['right', 'left', 'left']);

    await page.click('#stop');
    await page.locator('#status-state', { hasText: /^stopped$/ }).waitFor();
    assert.equal(controller.state, 'stopped');
    assert.equal(await page.textContent('#start'), 'Start');
    assert.equal(await page.getAttribute('body', 'data-state'), 'stopped');
    const rows = await page.locator('tr[data-testid="stats-row"]').count();
    assert.ok(rows >= 1, 'statistics stay after the stop');
    assert.deepEqual(pageErrors, []);
    t.diagnostic(`browser test: ${Math.round(performance.now() - t0)} ms from launch to stopped`);
  });
});
