/**
 * The swarm web UI as a browser sees it, beyond its features: a page load and a running test
 * log no console error and no failed or 4xx/5xx request (the browser's own /favicon.ico
 * once answered 404, an error in every console), and a phone-width window (360 px) keeps the
 * page its own width: the wide tables scroll inside their panels instead of widening the
 * whole page (the form, buttons and status bar once sat in a 1290 px page, scrolled sideways).
 * Real Chromium, real sockets, ports from the OS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { SwarmWeb } from '../src/swarm/web/swarm-web.ts';
import { chromiumSkip, launchChromium, okOrMissing, startWebUi, type WebUi } from './support/web-ui.ts';

let ui: WebUi;
let web: SwarmWeb;
let browser: Browser | null = null;

before(async () => {
  ui = await startWebUi(okOrMissing, 'web-users.ts');
  ({ web } = ui);
});

after(async () => {
  await browser?.close();
  await ui?.close();
});

/** Everything the browser reports as wrong: console errors, script errors, failed and 4xx/5xx requests. */
function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => problems.push(`script: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}

async function untilCounted(page: Page): Promise<void> {
  await page
    .locator('#stats-body tr[data-testid="stats-row"] td[data-col="num_requests"]', { hasText: /^[1-9]\d*$/ })
    .first()
    .waitFor();
}

describe('swarm web UI page hygiene in Chromium', () => {
  const skip = chromiumSkip;

  it('loads, runs and stops a test with a clean console and no failed request', { skip }, async () => {
    browser ??= await launchChromium();
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const problems = watch(page);
    // the page's icon is loaded once the load event fired: wait for it, not for a time
    await page.goto(web.url, { waitUntil: 'load' });
    await page.waitForSelector('#chart-rps canvas');
    await page.fill('#user-count', '2');
    await page.fill('#spawn-rate', '20');
    await page.click('#start');
    await untilCounted(page);
    await page.click('#stop');
    await page.locator('#status-state', { hasText: /^stopped$/ }).waitFor();
    assert.deepEqual(problems, []);
    // the page's icon, and the one a browser asks for by itself: images, not 404s
    const href = await page.getAttribute('link[rel="icon"]', 'href');
    for (const path of [href ?? 'no icon link', '/favicon.ico']) {
      const icon = await fetch(new URL(path, web.url));
      assert.equal(icon.status, 200, path);
      assert.match(icon.headers.get('content-type') ?? '', /^image\//, path);
    }
    await page.close();
  });

  it('keeps a 360 px window its own width: the tables scroll inside their panels', { skip }, async () => {
    browser ??= await launchChromium();
    const page = await browser.newPage({ viewport: { width: 360, height: 740 } });
    page.setDefaultTimeout(15_000);
    await page.goto(web.url);
    await page.fill('#user-count', '2');
    await page.fill('#spawn-rate', '20');
    await page.click('#start');
    await untilCounted(page);
    // (a string: the test's TypeScript has no DOM types)
    const widths = (await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      window: document.documentElement.clientWidth,
      statsPanel: document.getElementById('stats-table').parentElement.clientWidth,
      statsTable: document.getElementById('stats-table').scrollWidth,
    })`)) as { page: number; window: number; statsPanel: number; statsTable: number };
    assert.ok(widths.page <= widths.window, `page ${widths.page} px wide in a ${widths.window} px window`);
    assert.ok(widths.statsTable > widths.statsPanel, 'the statistics table is wider than its panel');
    // the table's last column is reachable by scrolling its panel
    const wrap = page.locator('#stats-table').locator('..');
    await wrap.evaluate((el) => {
      el.scrollLeft = el.scrollWidth;
    });
    assert.ok((await wrap.evaluate((el) => el.scrollLeft)) > 0, 'the statistics panel scrolls sideways');
    for (const id of ['#start', '#stop', '#reset', '#status-state']) {
      const box = await page.locator(id).boundingBox();
      assert.ok(box !== null && box.x >= 0 && box.x + box.width <= widths.window, `${id} inside the window`);
    }
    await page.click('#stop');
    await page.locator('#status-state', { hasText: /^stopped$/ }).waitFor();
    await page.close();
  });
});
