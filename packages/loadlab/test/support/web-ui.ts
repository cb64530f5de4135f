/**
 * The swarm web UI under a real browser, for the web tests: Debian's chromium (skipped, saying
 * why, where it is absent), and a web UI over a SwarmController aimed at a local target.
 */
import { existsSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { type Browser, chromium } from 'playwright-core';
import { SwarmController } from '../../src/swarm/swarm-controller.ts';
import { loadUserFile } from '../../src/swarm/user-file.ts';
import { type SwarmWeb, startSwarmWeb } from '../../src/swarm/web/swarm-web.ts';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run'];

/** A test's `skip` option: false where chromium is installed, else the reason. */
export const chromiumSkip: false | string = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is absent (CI installs Debian's chromium package)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The web-users fixture's target: 200 with a 64-byte body, 404 for /missing. */
export const okOrMissing: RequestListener = (req, res) => {
  const status = req.url === '/missing' ? 404 : 200;
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(status === 200 ? 'ok'.repeat(32) : 'no');
};

export interface WebUi {
  target: LocalServer;
  controller: SwarmController;
  web: SwarmWeb;
  /** Closes the web UI, the controller and the target. */
  close(): Promise<void>;
}

/**
 * A target answering with `handler`, a controller running `fixture` (a file of ./fixtures)
 * against it (`runTimeSec` as -t would set it), and its web UI on a free port.
 */
export async function startWebUi(
  handler: RequestListener,
  fixture: string,
  o: { runTimeSec?: number } = {},
): Promise<WebUi> {
  const target = await startServer(handler);
  const file = await loadUserFile(fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url)));
  const controller = new SwarmController({
    file,
    classNames: [],
    host: `http://127.0.0.1:${target.port}`,
    ...o,
  });
  const web = await startSwarmWeb({ controller, port: 0 });
  return {
    target,
    controller,
    web,
    async close() {
      await web.close();
      await controller.close();
      await target.close();
    },
  };
}
