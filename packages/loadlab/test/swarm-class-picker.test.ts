/**
 * --class-picker in the web UI: /stats/requests lists every class and the chosen ones,
 * POST /swarm's user_classes (repeated form field or JSON array) chooses the classes of a
 * new test, an unknown class or a change while a test runs is a 400 naming the problem, and
 * the page shows one checkbox per class (Debian's Chromium through playwright-core).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { chromium } from 'playwright-core';
import { SwarmController } from '../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../src/swarm/user-file.ts';
import type { StatsDocument } from '../src/swarm/web/stats-json.ts';
import { type SwarmWeb, startSwarmWeb } from '../src/swarm/web/swarm-web.ts';

const USERS = fileURLToPath(new URL('./fixtures/swarm-users.ts', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

let target: LocalServer;
let controller: SwarmController;
let web: SwarmWeb;

before(async () => {
  target = await startServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const file = await loadUserFile(USERS);
  controller = new SwarmController({ file, classNames: [], classPicker: true, host: target.url });
  web = await startSwarmWeb({ controller, port: 0 });
});

after(async () => {
  await web?.close();
  await controller?.close();
  await target?.close();
});

const doc = async () => (await (await fetch(new URL('/stats/requests', web.url))).json()) as StatsDocument;
const post = (body: URLSearchParams | string, json = false) =>
  fetch(new URL('/swarm', web.url), {
    method: 'POST',
    body,
    headers: json ? { 'content-type': 'application/json' } : {},
  });

describe('the class picker', () => {
  it('lists the classes, starts a test with the chosen ones, refuses unknown ones and changes mid-test', async () => {
    const before = await doc();
    assert.equal(before.class_picker, true);
    assert.deepEqual(before.available_classes, ['Breaker', 'Reader']);
    assert.deepEqual(before.user_classes, ['Breaker', 'Reader']);

    const unknown = await post(
      JSON.stringify({ user_count: 1, spawn_rate: 10, user_classes: ['Nobody'] }),
      true,
    );
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { message: string }).message, /unknown user class 'Nobody'/);
    assert.equal(controller.state, 'ready');

    const form = new URLSearchParams([
      ['user_count', '2'],
      ['spawn_rate', '100'],
      ['user_classes', 'Reader'],
    ]);
    assert.equal((await post(form)).status, 200);
    assert.deepEqual(controller.classNames, ['Reader']);
    assert.deepEqual((await doc()).user_classes, ['Reader']);

    const change = await post(
      JSON.stringify({ user_count: 2, spawn_rate: 10, user_classes: ['Breaker'] }),
      true,
    );
    assert.equal(change.status, 400);
    assert.match(((await change.json()) as { message: string }).message, /only while no test runs/);
    await controller.stop();
    assert.deepEqual(controller.view().usersByClass, { Reader: 0 });

    const both = await post(
      JSON.stringify({ user_count: 2, spawn_rate: 100, user_classes: ['Breaker', 'Reader'] }),
      true,
    );
    assert.equal(both.status, 200);
    assert.deepEqual(controller.classNames, ['Breaker', 'Reader']);
    await controller.stop();
  });

  it('shows a checkbox per class in the page', {
    skip: !existsSync(CHROMIUM) && `${CHROMIUM} is not installed`,
  }, async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(web.url);
      await page.locator('[data-testid="class-Reader"]').waitFor();
      assert.equal(await page.locator('#class-picker input[type=checkbox]').count(), 2);
      assert.equal(await page.locator('#class-list').isHidden(), true);
      // none ticked: refused on the page, nothing starts (the form once sent no classes and
      // the server ran them all)
      for (const box of await page.locator('#class-picker input[type=checkbox]').all()) await box.uncheck();
      await page.click('#start');
      await page.locator('#message.error', { hasText: 'tick at least one user class' }).waitFor();
      assert.equal(controller.state, 'stopped', 'no new test');
      assert.equal((await doc()).user_count, 0);
    } finally {
      await browser.close();
    }
  });
});
