/**
 * The swarm web UI's Run time field (Locust's form field run_time): a duration typed in the
 * form ends the new test by itself; a bad one is a coded 400 that names the field; empty means
 * until stopped; the page is prefilled from -t. Real Chromium, real sockets, ports from the OS.
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
  target = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  const file = await loadUserFile(fileURLToPath(new URL('./fixtures/web-users.ts', import.meta.url)));
  controller = new SwarmController({
    file,
    classNames: [],
    host: `http://127.0.0.1:${target.port}`,
    runTimeSec: 600,
  });
  web = await startSwarmWeb({ controller, port: 0 });
});

after(async () => {
  await browser?.close();
  await web?.close();
  await controller?.close();
  await target?.close();
});

const post = (fields: Record<string, string>) =>
  fetch(new URL('/swarm', web.url), { method: 'POST', body: new URLSearchParams(fields) });

describe('swarm web UI run time', () => {
  it('refuses a run_time that is not a duration with a coded 400', async () => {
    const res = await post({ user_count: '1', spawn_rate: '1', run_time: 'soon' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { code: string; problems: string[] };
    assert.equal(body.code, 'LAB_ERR_INVALID_SWARM');
    assert.deepEqual(body.problems, [
      'run_time must be a duration like 30s, 5m or 1h30m (empty: until stopped), got "soon"',
    ]);
    assert.equal(controller.state, 'ready');
  });

  const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (CI installs Debian's chromium package)`;

  it('ends the test after the run time typed in the form', { skip }, async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(web.url);
    assert.equal(await page.inputValue('#run-time'), '600s', 'prefilled from -t');
    // the server's error stays until a field is edited, then goes (it once stayed next to the
    // browser's own message about another field)
    await page.fill('#run-time', 'soon');
    await page.click('#start');
    await page.locator('#message.error', { hasText: /run_time must be a duration/ }).waitFor();
    await page.fill('#user-count', '');
    await page.locator('#message', { hasText: /^$/ }).waitFor();
    assert.equal(await page.locator('#message.error').count(), 0);
    await page.fill('#user-count', '2');
    await page.fill('#spawn-rate', '20');
    await page.fill('#run-time', '1s');
    await page.click('#start');
    await page.locator('#message', { hasText: /Swarming started: .* for 1s$/ }).waitFor();
    assert.equal(await page.locator('#run-time').isDisabled(), true, 'locked while the test runs');
    // no Stop pressed: the run time ends it (well before the 600 s of -t)
    await page.locator('#status-state', { hasText: /^stopped$/ }).waitFor();
    const result = controller.result();
    assert.ok(result.durationSec < 10, `ended after ${result.durationSec} s`);
    assert.equal(await page.locator('#run-time').isDisabled(), false);
    // the page says so (the start message once stayed up after the test had ended)
    await page.locator('#message', { hasText: /^Test stopped$/ }).waitFor();
  });
});
