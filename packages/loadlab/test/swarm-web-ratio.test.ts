/**
 * The swarm web UI's Current ratio table (Locust's tab): the users of each class now and their
 * share, live. Classes weighted 3:1 at 4 users show 3 and 1 (75% and 25%); after the stop,
 * 0 each. Real Chromium, real sockets, ports from the OS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { SwarmWeb } from '../src/swarm/web/swarm-web.ts';
import { chromiumSkip, launchChromium, startWebUi, type WebUi } from './support/web-ui.ts';

let ui: WebUi;
let web: SwarmWeb;
let browser: Browser | null = null;

before(async () => {
  ui = await startWebUi((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  }, 'swarm-users.ts');
  ({ web } = ui);
});

after(async () => {
  await browser?.close();
  await ui?.close();
});

describe('swarm web UI current ratio in Chromium', () => {
  const skip = chromiumSkip;

  it('shows the users of each class and their share, live', { skip }, async () => {
    browser = await launchChromium();
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(web.url);
    await page.fill('#user-count', '4');
    await page.fill('#spawn-rate', '100');
    await page.click('#start');
    const ratio = (name: string) => page.locator(`#ratio-body tr[data-name="${name}"] td`);
    // spawning done: the counts hold still from here on
    await page.locator('#status-state', { hasText: /^running$/ }).waitFor();
    await ratio('Reader').nth(1).filter({ hasText: /^3$/ }).waitFor();
    await ratio('Breaker').nth(1).filter({ hasText: /^1$/ }).waitFor();
    assert.deepEqual(await ratio('Reader').allTextContents(), ['Reader', '3', '75.0%']);
    assert.deepEqual(await ratio('Breaker').allTextContents(), ['Breaker', '1', '25.0%']);

    await page.click('#stop');
    await page.locator('#status-state', { hasText: /^stopped$/ }).waitFor();
    await ratio('Reader').nth(1).filter({ hasText: /^0$/ }).waitFor();
    assert.deepEqual(await ratio('Breaker').allTextContents(), ['Breaker', '0', '0.0%']);
  });
});
