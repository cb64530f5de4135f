/**
 * The trading system in a child process, for `tickstorm start`: `node bin/tickstorm.js serve`
 * on the default ports (service contract in @tickstorm/protocol), its output to a log file.
 * A default port that is already taken is replaced by a free one (the child gets port 0 and
 * reports the port it bound), and the caller is told which. Ready = every service listed on
 * stdout and answering GET /health.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PORTS, SERVICE_NAMES, type ServiceName } from '@tickstorm/protocol';

export const SERVICES = SERVICE_NAMES;
export type Service = ServiceName;
export const DEFAULT_SERVICE_PORTS: Readonly<Record<Service, number>> = DEFAULT_PORTS;

const BIN = fileURLToPath(new URL('../../../bin/tickstorm.js', import.meta.url));

export interface SystemChild {
  pid: number;
  /** Service -> http://host:port as the child reported it. */
  urls: Record<Service, string>;
  /** Default ports that were taken, with the port used instead. */
  moved: { service: Service; wanted: number; port: number }[];
  /** SIGTERM, then wait (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** True when nothing listens on host:port (we could bind it). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function waitHealthy(url: string, deadline: number, stop: AbortSignal): Promise<void> {
  let last = '';
  while (Date.now() < deadline && !stop.aborted) {
    try {
      const res = await fetch(`${url}/health`, {
        signal: AbortSignal.any([AbortSignal.timeout(2000), stop]),
      });
      await res.body?.cancel();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/health did not answer 200 in time (${last})`);
}

/** startSystemChild's failure when its `signal` aborted the start-up: the system was stopped (SIGTERM). */
export class StartInterrupted extends Error {}

export async function startSystemChild(opts: {
  dataDir: string;
  logFile: string;
  /** Every service on a free port, not the defaults. */
  freePorts?: boolean;
  timeoutMs?: number;
  /**
   * Aborted (Ctrl-C while the system starts): the start-up ends, the system is stopped as
   * SystemChild.stop does (SIGTERM, once it listens for it: its pid line; waited for), and
   * StartInterrupted is thrown.
   */
  signal?: AbortSignal;
}): Promise<SystemChild> {
  const args = [BIN, 'serve', '--data-dir', opts.dataDir];
  const moved: SystemChild['moved'] = [];
  for (const s of SERVICES) {
    const wanted = DEFAULT_SERVICE_PORTS[s];
    if (opts.freePorts === true) {
      args.push(`--${s}-port`, '0');
      continue;
    }
    const free = await portFree(wanted);
    args.push(`--${s}-port`, free ? String(wanted) : '0');
    if (!free) moved.push({ service: s, wanted, port: 0 });
  }
  const log = createWriteStream(opts.logFile);
  // In a session of its own: Ctrl-C on a terminal signals its whole foreground process group,
  // and the system, reached directly, stopped while the load still ran (an interrupted run
  // reported POST /orders failures ECONNREFUSED). `tickstorm start` alone takes the signal,
  // stops the load, reports, then stops the system (SIGTERM); on any exit of its own it kills it.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  // Exited, and its output drained.
  const whenClosed = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.stderr!.pipe(log, { end: false });
  const urls: Partial<Record<Service, string>> = {};
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  // the start-up's waits end on an interrupt; the health checks' requests are cut too
  const waiting = new AbortController();
  const interrupted = new Promise<never>((_, reject) => {
    const stop = () => reject(new StartInterrupted('interrupted while the system started'));
    if (opts.signal?.aborted === true) stop();
    else opts.signal?.addEventListener('abort', stop, { once: true });
  });
  interrupted.catch(() => {});
  const stopped = async (graceMs = 20_000) => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await whenClosed;
    clearTimeout(timer);
    process.off('exit', killOnExit);
    await new Promise<void>((r) => log.end(r));
    return code;
  };
  let timer: NodeJS.Timeout | undefined;
  let reported: Promise<void> | undefined;
  try {
    reported = new Promise<void>((resolve, reject) => {
      let buf = '';
      timer = setTimeout(
        () => reject(new Error('the system did not start within the time limit')),
        opts.timeoutMs ?? 30_000,
      );
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the system exited during start-up (code ${code})`));
      });
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        log.write(d);
        buf += d;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /^(market-data|execution-engine|risk-manager|api)\s+(https?:\/\/\S+)/.exec(line);
          if (m !== null) urls[m[1] as Service] = m[2];
          if (/^pid \d+/.test(line)) {
            clearTimeout(timer);
            resolve();
          }
        }
      });
    });
    await Promise.race([reported, interrupted]);
    const missing = SERVICES.filter((s) => urls[s] === undefined);
    if (missing.length > 0) throw new Error(`the system did not report ${missing.join(', ')}`);
    await Promise.race([
      Promise.all(SERVICES.map((s) => waitHealthy(urls[s]!, deadline, waiting.signal))),
      interrupted,
    ]);
  } catch (e) {
    waiting.abort();
    if (e instanceof StartInterrupted) {
      // serve listens for SIGTERM from its pid line on: before it (its modules loading, its
      // data opening) SIGTERM would end it by the signal, without its graceful stop, so that
      // line comes first (or its exit, or the time limit; a second Ctrl-C quits at once)
      await reported?.catch(() => {});
      clearTimeout(timer);
      await stopped();
      throw e;
    }
    clearTimeout(timer);
    child.kill('SIGKILL');
    await whenClosed;
    process.off('exit', killOnExit);
    log.end();
    const t = tail(opts.logFile);
    throw new Error(`${(e as Error).message}; its log (${opts.logFile}):\n${t}`);
  }
  for (const m of moved) m.port = Number(new URL(urls[m.service]!).port);
  return {
    pid: child.pid!,
    urls: urls as Record<Service, string>,
    moved,
    stop: stopped,
  };
}
