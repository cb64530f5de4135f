/**
 * Custom request events in swarm (`User.fire`, Locust's `events.request.fire`), with the
 * example users of examples/market-data-users.ts against `tickstorm serve` (child processes,
 * ports chosen by the OS): the feed user's frames reach market data (its count equals the
 * ticks market data processed), and the watcher's WebSocket updates are recorded as WS
 * requests in the same report as HTTP ones.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BIN } from './support/cli.ts';
import { type ServeChild, startServeChild } from './support/serve.ts';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-swarm-md-'));
const EXAMPLE = fileURLToPath(new URL('../examples/market-data-users.ts', import.meta.url));
let served: ServeChild | undefined;
let urls: Record<string, string> = {};

before(async () => {
  served = await startServeChild(['--data-dir', dir]);
  urls = served.urls;
});

after(async () => {
  await served?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function swarm(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BIN, 'swarm', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => {
      stdout += d;
    });
    c.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      reject(new Error(`swarm did not finish in 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    c.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('a feed user and WebSocket watchers: custom TICK and WS request events in the swarm report', async () => {
  const out = join(dir, 'swarm.json');
  const r = await swarm(
    ['-f', EXAMPLE, '--headless', '-u', '3', '-r', '3', '-t', '3s', '-H', urls.api, '--json', out],
    { ...process.env, TICKSTORM_MARKET_DATA_URL: urls['market-data'] },
  );
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /TICK\s+feed_frame/);
  assert.match(r.stdout, /WS\s+market_update/);
  const report = JSON.parse(readFileSync(out, 'utf8')) as {
    scenarios: { entries: { type: string; name: string; requests: number; failures: number }[] }[];
  };
  const entries = report.scenarios[0].entries;
  const entry = (type: string, name: string) => entries.find((e) => e.type === type && e.name === name);
  const frames = entry('TICK', 'feed_frame');
  const updates = entry('WS', 'market_update');
  assert.ok(frames !== undefined && frames.requests >= 20, JSON.stringify(entries));
  assert.equal(frames.failures, 0);
  assert.ok(updates !== undefined && updates.requests > 0, JSON.stringify(entries));
  assert.equal(updates.failures, 0);
  // every frame the feed user reported reached market data: 50 ticks each
  const md = (await (await fetch(`${urls['market-data']}/stats`)).json()) as { ticksProcessed: number };
  assert.equal(md.ticksProcessed, frames.requests * 50);
});

test('the feed user streams to the env’s market data, else to -H’s host on port 5001', async () => {
  const { marketDataUrl } = (await import(EXAMPLE)) as { marketDataUrl: (host: string) => string };
  const saved = process.env.TICKSTORM_MARKET_DATA_URL;
  try {
    delete process.env.TICKSTORM_MARKET_DATA_URL;
    assert.equal(marketDataUrl('http://10.0.0.5:8000'), 'http://10.0.0.5:5001');
    assert.equal(marketDataUrl('https://trading.example:8443/api'), 'https://trading.example:5001');
    process.env.TICKSTORM_MARKET_DATA_URL = 'http://market-data:5001';
    assert.equal(marketDataUrl('http://api:8000'), 'http://market-data:5001');
    // a trailing slash would make `//stream` (a 400)
    process.env.TICKSTORM_MARKET_DATA_URL = 'http://market-data:5001/';
    assert.equal(marketDataUrl('http://api:8000'), 'http://market-data:5001');
  } finally {
    if (saved === undefined) delete process.env.TICKSTORM_MARKET_DATA_URL;
    else process.env.TICKSTORM_MARKET_DATA_URL = saved;
  }
});
