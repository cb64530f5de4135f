/**
 * A worker's link to its master (`swarm --worker`, `run --worker`): connects (retrying for
 * CONNECT_WAIT_MS, so workers may start first), says hello, sends a heartbeat every second
 * (and one at once when the worker's state changes: `beat`),
 * and ends the worker when the master sends quit (exit 0), refuses it (104), hangs up
 * without quit or is silent for MASTER_GONE_MS, or dropped this worker for its own silence (1,
 * naming the master), or at Ctrl-C (105,
 * after telling the master with 'bye'). Other messages go, one at a time and in order, to
 * the worker's handler; a handler that throws reports the error to the master and exits 1.
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { EXIT_ABORTED, EXIT_ERROR, EXIT_INVALID_CONFIG, EXIT_OK } from '../gates/exit-codes.ts';
import { LineChannel } from './line-channel.ts';
import {
  CONNECT_WAIT_MS,
  HEARTBEAT_MS,
  MASTER_GONE_MS,
  type ToMaster,
  type ToWorker,
  type WorkerMode,
} from './remote-protocol.ts';
import { CpuSampler, type WorkerRunState } from './worker-status.ts';

export interface MasterLinkOptions {
  masterHost: string;
  masterPort: number;
  version: string;
  mode: WorkerMode;
  /** Class names of the worker's user file (swarm). */
  classes?: string[];
  out: (text: string) => void;
  err: (text: string) => void;
  signal?: AbortSignal;
  connectWaitMs?: number;
  /** Users running now (sent with each heartbeat). */
  users?: () => number;
  /** The worker's state (sent with each heartbeat). */
  state?: () => WorkerRunState;
  /** Messages other than welcome, reject, quit and heartbeat. */
  handle: (m: ToWorker, link: MasterLink) => Promise<void> | void;
  /** Runs before the worker exits (stop users); errors are ignored. */
  cleanup?: () => Promise<void>;
}

export interface MasterLink {
  readonly id: string;
  send(m: ToMaster): void;
  /** Sends a heartbeat now (users, state, CPU, RSS): a state change reaches the master at once. */
  beat(): void;
  /**
   * Ends the worker with this exit code (and message: stdout for 0, stderr otherwise);
   * `polite`: flush what was sent before hanging up (default for 0 and 105).
   */
  finish(code: number, message?: string, polite?: boolean): Promise<void>;
  /** The worker's exit code, once it ends. */
  readonly exit: Promise<number>;
}

async function connectWithRetry(
  host: string,
  port: number,
  waitMs: number,
  signal: AbortSignal | undefined,
  retrying: (e: Error) => void,
) {
  const deadline = performance.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port });
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
    } catch (e) {
      if (signal?.aborted || performance.now() >= deadline) throw e;
      if (attempt === 0) retrying(e as Error);
      // a retry interval, not a synchronisation: the master may not be up yet
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Connects and serves the master; resolves with the worker's exit code. */
export async function serveMaster(o: MasterLinkOptions): Promise<number> {
  const where = `${o.masterHost}:${o.masterPort}`;
  const waitMs = o.connectWaitMs ?? CONNECT_WAIT_MS;
  let socket: Socket;
  try {
    socket = await connectWithRetry(o.masterHost, o.masterPort, waitMs, o.signal, (e) =>
      o.out(`No master at ${where} yet (${e.message}); retrying for up to ${waitMs / 1000} s`),
    );
  } catch (e) {
    if (o.signal?.aborted) return EXIT_ABORTED;
    o.err(
      `tickstorm ${o.mode} --worker: cannot reach the master at ${where} (--master-host/--master-port) within ${waitMs / 1000} s: ${(e as Error).message} [LAB_ERR_MASTER_GONE]`,
    );
    return EXIT_ERROR;
  }
  const channel = new LineChannel<ToWorker, ToMaster>(socket);
  // CPU and RSS once per beat: two cheap syscalls, shown in the master's Workers table. An
  // extra beat (a state change) carries no CPU figure: over a few ms it would be noise.
  const cpu = new CpuSampler();
  const heartbeat = (timed: boolean): ToMaster => ({
    t: 'heartbeat',
    users: o.users?.() ?? 0,
    ...(o.state === undefined ? {} : { state: o.state() }),
    ...(timed ? { cpu: cpu.sample() } : {}),
    rss: process.memoryUsage.rss(),
  });
  const id = `${hostname()}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
  let lastHeard = performance.now();
  let finished = false;
  /** A welcome (or a reject) came: the peer is a tickstorm master (else its first words tell). */
  let answered = false;
  let resolveExit: (code: number) => void = () => undefined;
  const exit = new Promise<number>((r) => {
    resolveExit = r;
  });
  const link: MasterLink = {
    id,
    exit,
    send: (m) => channel.send(m),
    beat: () => channel.send(heartbeat(false)),
    finish: async (code, message, polite = code === EXIT_OK || code === EXIT_ABORTED) => {
      if (finished) return;
      finished = true;
      clearInterval(beat);
      clearInterval(watch);
      o.signal?.removeEventListener('abort', onAbort);
      if (message !== undefined) (code === EXIT_OK ? o.out : o.err)(message);
      await o.cleanup?.().catch(() => undefined);
      if (polite) await channel.close();
      else channel.destroy('worker exit');
      resolveExit(code);
    },
  };
  const who = `tickstorm ${o.mode} --worker`;
  let chain = Promise.resolve();
  channel.on('message', (m) => {
    lastHeard = performance.now();
    if (m.t === 'welcome' || m.t === 'reject') answered = true;
    chain = chain
      .then(async () => {
        if (finished || m.t === 'heartbeat') return;
        if (m.t === 'welcome') o.out(`Connected to the master at ${where} as worker ${id}`);
        else if (m.t === 'reject')
          await link.finish(
            EXIT_INVALID_CONFIG,
            `${who}: the master refused this worker: ${m.message} [LAB_ERR_WORKER_REFUSED]`,
          );
        else if (m.t === 'quit') await link.finish(EXIT_OK, 'The master sent quit: exiting');
        else if (m.t === 'dropped')
          // polite: a run worker's report (what its part measured) reaches the master, which
          // takes it while its run still goes
          await link.finish(
            EXIT_ERROR,
            `${who}: the master at ${where} dropped this worker (${m.reason}; it goes on without it): was this machine paused or overloaded? [LAB_ERR_MASTER_GONE]`,
            true,
          );
        else await o.handle(m, link);
      })
      .catch((e: unknown) => {
        const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
        channel.send({ t: 'error', message });
        void link.finish(EXIT_ERROR, `${who}: ${message}`);
      });
  });
  channel.on('close', (reason) => {
    void chain.then(() =>
      link.finish(
        EXIT_ERROR,
        answered || reason === 'connection closed'
          ? `${who}: the master at ${where} went away (${reason}) without sending quit [LAB_ERR_MASTER_GONE]`
          : `${who}: what answers at ${where} is not a tickstorm master (${reason}); check --master-host/--master-port [LAB_ERR_MASTER_GONE]`,
      ),
    );
  });
  const beat = setInterval(() => channel.send(heartbeat(true)), HEARTBEAT_MS);
  const watch = setInterval(() => {
    if (performance.now() - lastHeard <= MASTER_GONE_MS) return;
    // after a pause (SIGSTOP) timers run before the socket is read: what the master sent
    // meanwhile (its 'dropped') is read first, then the silence is judged
    setImmediate(() => {
      if (performance.now() - lastHeard > MASTER_GONE_MS)
        void link.finish(
          EXIT_ERROR,
          `${who}: no word from the master at ${where} for ${MASTER_GONE_MS / 1000} s [LAB_ERR_MASTER_GONE]`,
        );
    });
  }, 500);
  const onAbort = () => {
    channel.send({ t: 'bye', reason: 'interrupted (Ctrl-C or SIGTERM on the worker)' });
    void link.finish(EXIT_ABORTED, 'Interrupted: told the master and exiting');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  channel.send({ t: 'hello', id, version: o.version, mode: o.mode, classes: o.classes ?? [] });
  channel.send(heartbeat(false));
  return exit;
}
