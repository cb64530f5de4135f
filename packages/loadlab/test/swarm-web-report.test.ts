/**
 * The swarm web UI's HTML report (Locust's "Download Report", GET /stats/report): the page's
 * link saves the report of the running test, with its request rows, as --html writes it;
 * without ?download=1 the route shows it in the browser. Real Chromium, real sockets, ports
 * from the OS.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
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

describe('swarm web UI HTML report in Chromium', () => {
  const skip = chromiumSkip;

  it("downloads the running test's HTML report from the page", { skip }, async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(web.url);
    await page.fill('#user-count', '2');
    await page.fill('#spawn-rate', '20');
    await page.click('#start');
    await page
      .locator('#stats-body tr[data-name="/fast"] td[data-col="num_requests"]', { hasText: /^[1-9]\d*$/ })
      .waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#html-report')]);
    assert.match(download.suggestedFilename(), /^report_\d+\.html$/);
    const html = readFileSync(await download.path(), 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.match(html, /<title>Tickstorm swarm report: [^<]+<\/title>/);
    assert.ok(html.includes('/fast'), 'the request rows are in the report');
    assert.ok(html.includes(`http://127.0.0.1:${ui.target.port}`), 'the target is named');

    // shown in the browser without ?download=1
    const shown = await fetch(new URL('/stats/report', web.url));
    assert.equal(shown.status, 200);
    assert.match(shown.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(shown.headers.get('content-disposition'), null);
    assert.match(await shown.text(), /^<!DOCTYPE html>/);

    await page.click('#stop');
    await page.locator('#status-state', { hasText: /^stopped$/ }).waitFor();
    await context.close();
  });
});
