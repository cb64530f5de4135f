/**
 * The harness of ws-fanout.bench.ts: the api service in a child process
 * (ws-fanout-server.ts, driven over IPC) and many ws clients in this one.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import type { LatencySummary } from '../src/stats/latency-histogram.ts';

export const nowMs = (): number => performance.timeOrigin + performance.now();

export interface BenchServer {
  child: ChildProcess;
  port: number;
  request<T>(msg: object, reply: string): Promise<T>;
  stop(): Promise<void>;
}

/** `hub`: WsHubOptions overrides for the server (default: the WS_HUB environment variable's JSON). */
export async function startServer(
  flushMs: number,
  hub: object = JSON.parse(process.env.WS_HUB || '{}'),
): Promise<BenchServer> {
  const child = fork(fileURLToPath(new URL('./ws-fanout-server.ts', import.meta.url)), [], {
    execArgv: ['--import', import.meta.resolve('tsx'), '--expose-gc'],
    env: { ...process.env, WS_BENCH_FLUSH_MS: String(flushMs), WS_BENCH_HUB: JSON.stringify(hub) },
  });
  const next = (type: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const on = (m: Record<string, unknown>) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
    });
  const ready = await next('ready');
  return {
    child,
    port: ready.port as number,
    async request<T>(msg: object, reply: string) {
      const p = next(reply);
      child.send(msg);
      return (await p) as T;
    },
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.send({ cmd: 'stop' });
      await exited;
    },
  };
}

export interface Published {
  count: number;
  ms: number;
  cpuPercent: number;
  hub: ServerStats['hub'];
}

export interface ServerStats {
  hub: {
    messagesSent: number;
    updatesCoalesced: number;
    conflated: number;
    slowDisconnects: number;
    fanoutLatencyMs: LatencySummary;
  };
  cpu: NodeJS.CpuUsage;
  memory: NodeJS.MemoryUsage;
  system: { cpuPercent: number };
}

export async function connectAll(
  url: string,
  n: number,
  parallel: number,
  onMsg: (i: number, d: Buffer) => void,
) {
  const sockets: WebSocket[] = new Array(n);
  let nextIdx = 0;
  const worker = async () => {
    while (nextIdx < n) {
      const i = nextIdx++;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.on('message', (d) => onMsg(i, d as Buffer));
      ws.on('error', () => {});
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      sockets[i] = ws;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return sockets;
}

/** Waits until nothing has arrived for `quietMs` (by `lastAt()`), for at most `ms`. */
export async function quiet(lastAt: () => number, quietMs: number, ms: number): Promise<void> {
  await until(() => nowMs() - lastAt() > quietMs, ms);
}

/** Waits until `cond()` holds, polling every 10 ms, for at most `ms`. */
export async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
  return cond();
}

export async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map((ws) =>
      ws.readyState === WebSocket.CLOSED ? null : new Promise((r) => ws.once('close', r)),
    ),
  ).then(
    () => undefined,
    () => undefined,
  );
}
