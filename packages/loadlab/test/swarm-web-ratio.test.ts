/**
 * The swarm web UI's Current ratio table (Locust's tab): the users of each class now and their
 * share, live. Classes weighted 3:1 at 4 users show 3 and 1 (75% and 25%); after the stop,
 * 0 each. Real Chromium, real sockets, ports from the OS.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { type Browser, chromium } from 'playwright-core';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';
import { type SwarmWeb, startSwarmWeb } from '../src/swarm/web/swarm-web.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'];

let target: LocalServer;
let controller: SwarmController;
let web: SwarmWeb;
let browser: Browser | null = null;

before(async () => {
  target = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const file = await loadUserFile(fileURLToPath(new URL('./fixtures/swarm-users.ts', import.meta.url)));
  controller = new SwarmController({ file, classNames: [], host: target.url });
  web = await startSwarmWeb({ controller, port: 0 });
});

after(async () => {
  await browser?.close();
  await web?.close();
  await controller?.close();
  await target?.close();
});

describe('swarm web UI current ratio in Chromium', () => {
  const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (CI installs Debian's chromium package)`;

  it('shows the users of each class and their share, live', { skip }, async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
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
