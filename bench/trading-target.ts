/**
 * The trading system as a benchmark target: `tickstorm serve` (bin/tickstorm.js, all services
 * in one child process, ports 0, a temporary data dir, no input log), given market data so the
 * agent endpoints do real work: `historySec` of past ticks for every default symbol (one per
 * `historyStepSec`, a random walk around 100 on the 0.01 grid, checked with a sync ack), then a
 * light live feed (one tick per symbol every 200 ms) from this process until stop().
 * ABC_PERFORMANCE_MODE is on unless asked otherwise: without it every GET /health runs a
 * DuckDB `SELECT 1` (about 250 /health per second saturate the system on a 2-core machine).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { procCpuSec } from './proc-cpu.ts';

const BIN = fileURLToPath(new URL('../bin/tickstorm.js', import.meta.url));
const SYMBOLS = Array.from({ length: 50 }, (_, i) => `SYM${i}`);
const FRAME_TICKS = 2000;

export interface TradingTarget {
  /** http://127.0.0.1:PORT of the api service. */
  api: string;
  pid: number;
  /** History ticks the market-data service accepted. */
  historyTicks: number;
  /** CPU-seconds the serve process has used so far. */
  cpuSec(): number;
  stop(): Promise<void>;
}

export interface TargetOptions {
  historySec?: number;
  historyStepSec?: number;
  /** Live ticks per symbol per second (0: none). */
  liveHz?: number;
  /** ABC_PERFORMANCE_MODE for the serve process (cached /health store probe, analysis cache); default true. */
  performanceMode?: boolean;
}

let stopping = false;

async function startServe(
  dir: string,
  performanceMode: boolean,
): Promise<{ child: ChildProcess; urls: Record<string, string> }> {
  const ports = ['market-data', 'execution-engine', 'risk-manager', 'api'].flatMap((s) => [
    `--${s}-port`,
    '0',
  ]);
  const child = spawn(process.execPath, [BIN, 'serve', '--data-dir', dir, '--no-input-log', ...ports], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ABC_PERFORMANCE_MODE: performanceMode ? 'true' : 'false' },
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/^pid \d+;/m.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`tickstorm serve exited (${code}):\n${out}\n${err}`)));
  });
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`tickstorm serve exited unexpectedly (${code ?? signal}):\n${err}`);
  });
  const urls: Record<string, string> = {};
  for (const m of out.matchAll(/^\s*(market-data|execution-engine|risk-manager|api)\s+(https?:\/\/\S+)/gm)) {
    urls[m[1]] = m[2];
  }
  return { child, urls };
}

export async function startTradingTarget(o: TargetOptions = {}): Promise<TradingTarget> {
  const historySec = o.historySec ?? 3600;
  const step = o.historyStepSec ?? 2;
  const liveHz = o.liveHz ?? 5;
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-target-'));
  const { child, urls } = await startServe(dir, o.performanceMode ?? true);
  const ws = new WebSocket(`${urls['market-data'].replace(/^http/, 'ws')}/stream`);
  await once(ws, 'open');
  let ack: { processed: number; rejected: number } = { processed: 0, rejected: 0 };
  let firstError: string | undefined;
  ws.on('message', (m) => {
    const msg = JSON.parse(String(m)) as { type: string; processed: number; rejected: number };
    if (msg.type === 'ack') ack = msg;
    else if (msg.type === 'error') firstError ??= String(m);
  });
  const price = new Float64Array(SYMBOLS.length).fill(100);
  const tick = (i: number, timestamp: number) => {
    price[i] = Math.max(50, Math.min(150, price[i] + (Math.random() < 0.5 ? -0.05 : 0.05)));
    return {
      type: 'tick',
      symbol: SYMBOLS[i],
      price: Math.round(price[i] * 100) / 100,
      volume: 10,
      timestamp,
    };
  };
  const t0 = Date.now() / 1000 - historySec;
  let frame: object[] = [];
  for (let t = 0; t < historySec; t += step) {
    for (let i = 0; i < SYMBOLS.length; i++) frame.push(tick(i, t0 + t));
    if (frame.length >= FRAME_TICKS) {
      ws.send(JSON.stringify(frame));
      frame = [];
    }
  }
  if (frame.length > 0) ws.send(JSON.stringify(frame));
  ws.send(JSON.stringify({ type: 'sync', id: 1 }));
  await new Promise<void>((resolve) => {
    const onAck = (m: WebSocket.RawData) => {
      if ((JSON.parse(String(m)) as { id?: number }).id === 1) {
        ws.off('message', onAck);
        resolve();
      }
    };
    ws.on('message', onAck);
  });
  if (ack.rejected > 0) throw new Error(`market data rejected ${ack.rejected} history ticks: ${firstError}`);
  const live =
    liveHz > 0
      ? setInterval(
          () => {
            const now = Date.now() / 1000;
            ws.send(JSON.stringify(SYMBOLS.map((_, i) => tick(i, now))));
          },
          Math.round(1000 / liveHz),
        )
      : undefined;
  let lastCpu = 0;
  return {
    api: urls.api,
    pid: child.pid!,
    historyTicks: ack.processed,
    cpuSec: () => {
      lastCpu = procCpuSec(child.pid!) ?? lastCpu;
      return lastCpu;
    },
    async stop() {
      stopping = true;
      clearInterval(live);
      ws.close();
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
