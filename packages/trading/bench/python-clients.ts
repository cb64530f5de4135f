/**
 * Two of the Python clients in ./python/ (an asyncio order client sending raw decimal prices, and
 * 100 asyncio WebSocket subscribers in one process) against the real services, with Debian's
 * python3 and its python3-httpx and python3-websockets packages (the third, market_data_flood.py,
 * runs in test/python-clients.test.ts with python3-websocket):
 *
 *   orders   `tickstorm serve` in a child process; order_client.py at each rate for D s:
 *            error rate (non-2xx) and latency.
 *   ws       the api in a child process (ws-fanout-server.ts) publishing one MarketUpdate per
 *            tick at each feed rate; ws_client.py with 100 clients: age p95 of what they read,
 *            clients updated; and the hub's own figures (frames sent, conflated, paced, pace).
 *
 *   node --import tsx packages/trading/bench/python-clients.ts [--orders 100,1000]
 *     [--feeds 5000,50000] [--seconds 10] [--python /usr/bin/python3] [--hub JSON]
 *
 * --hub: WsHubOptions overrides for the ws part, e.g. '{"maxPaceMs":0}' (no pacing).
 * --orders '' or --feeds '': skip that part.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_WS_HUB_OPTIONS } from '../src/api/ws-hub/ws-hub-options.ts';
import { isMain, parseFlags } from './bench-util.ts';
import { serveChild } from './serve-child.ts';
import { nowMs, type Published, startServer } from './ws-bench-harness.ts';

const DIR = fileURLToPath(new URL('./python/', import.meta.url));

/** A python3 that has httpx and websockets, or undefined. */
export function findPython(candidates = ['/usr/bin/python3', 'python3']): string | undefined {
  for (const p of candidates) {
    if (pythonHas(p, 'httpx', 'websockets')) return p;
  }
  return undefined;
}

/** Whether `python` can import every module named (e.g. 'websocket', websocket-client's). */
export function pythonHas(python: string, ...modules: string[]): boolean {
  return spawnSync(python, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
}

/** Runs `python FILE ARGS` to its end: exit code, stdout, stderr. */
function runToEnd(
  python: string,
  file: string,
  args: string[],
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += String(d);
    });
    child.stderr.on('data', (d) => {
      err += String(d);
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

/** Runs a client script to the end; its last stdout line is JSON. */
export async function runPython(
  python: string,
  script: string,
  args: string[],
): Promise<Record<string, unknown>> {
  const { code, out, err } = await runToEnd(python, `${DIR}${script}`, args);
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{')) throw new Error(`${script} exited ${code}:\n${out}\n${err}`);
  return JSON.parse(last);
}

export interface OriginalRun {
  code: number | null;
  /** Every line the client printed, the runner's JSON line last. */
  lines: string[];
  stderr: string;
  /** The runner's JSON line, when it got that far. */
  result?: Record<string, unknown>;
}

/**
 * One of ./python/original/ (the clients exactly as their users wrote them) through
 * ./python/run_original.py: `flood PORT SYMBOLS RATE SECONDS`, `orders PORT RATE SECONDS` or
 * `ws PORT CLIENTS SECONDS`. Resolves with the exit code whatever it is.
 */
export async function runOriginal(python: string, args: string[]): Promise<OriginalRun> {
  const { code, out, err } = await runToEnd(python, `${DIR}run_original.py`, args);
  const lines = out.trimEnd().split('\n');
  const last = lines.at(-1) ?? '';
  return { code, lines, stderr: err, result: last.startsWith('{') ? JSON.parse(last) : undefined };
}

export async function pythonOrders(python: string, rates: number[], seconds: number) {
  const sys = await serveChild();
  try {
    const out = [];
    for (const rate of rates) {
      out.push(
        await runPython(python, 'order_client.py', [
          sys.urls['execution-engine'],
          String(rate),
          String(seconds),
        ]),
      );
    }
    return out;
  } finally {
    await sys.stop();
  }
}

export async function pythonWs(
  python: string,
  feed: number,
  seconds: number,
  clients = 100,
  hub: object = {},
) {
  const server = await startServer(DEFAULT_WS_HUB_OPTIONS.flushIntervalMs, hub);
  try {
    const warmup = 2;
    const client = runPython(python, 'ws_client.py', [
      `ws://127.0.0.1:${server.port}/ws/metrics`,
      String(seconds + warmup + 1),
      String(clients),
      String(warmup),
    ]);
    // The clients connect and subscribe within the first second; the feed runs meanwhile.
    const pub = server.request<Published>(
      {
        cmd: 'publish',
        rate: feed,
        symbols: 50,
        startAtMs: nowMs() + 500,
        warmupMs: warmup * 1000,
        durationMs: seconds * 1000,
      },
      'published',
    );
    const [r, p] = await Promise.all([client, pub]);
    const h = p.hub as Published['hub'] & Record<string, unknown>;
    return {
      feed,
      ...r,
      server: {
        cpuPercent: p.cpuPercent,
        messagesSent: h.messagesSent,
        conflated: h.conflated,
        creditWaits: h.creditWaits,
        paced: h.paced,
        pacedClients: h.pacedClients,
        paceMs: h.paceMs,
        slowEpisodes: h.slowEpisodes,
        probeRttMs: h.probeRttMs,
      },
    } as Record<string, unknown>;
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const values = parseFlags(import.meta.url, {
    orders: { type: 'numbers', default: [100, 1000], help: "orders/s, one run each ('' skips the part)" },
    feeds: { type: 'numbers', default: [5000, 50000], help: "ticks/s, one run each ('' skips the part)" },
    seconds: { type: 'number', default: 10, help: 'per run' },
    python: {
      type: 'string',
      value: 'PATH',
      help: 'a python3 with httpx and websockets (found when absent)',
    },
    hub: { type: 'string', default: '{}', value: 'JSON', help: 'hub settings for the ws part' },
  });
  const python = values.python ?? findPython();
  if (python === undefined) {
    console.error(
      'no python3 with httpx and websockets (Debian: apt-get install python3-httpx python3-websockets)',
    );
    process.exit(2);
  }
  const seconds = values.seconds;
  if (values.orders.length > 0) {
    for (const r of await pythonOrders(python, values.orders, seconds)) {
      console.log('orders', JSON.stringify(r));
    }
  }
  if (values.feeds.length > 0) {
    for (const feed of values.feeds) {
      console.log('ws', JSON.stringify(await pythonWs(python, feed, seconds, 100, JSON.parse(values.hub))));
    }
  }
}

if (isMain(import.meta.url)) await main();
