/**
 * `tickstorm swarm --worker`: one machine's share of a master's test. Connects to the master
 * (retrying for CONNECT_WAIT_MS, so workers may start first), says hello with the classes of
 * its own user file, and then runs what the master sends: 'start' builds a HostCore, 'ops'
 * spawn and retire users, 'stop' ends the test with the final snapshot, 'quit' ends the
 * worker (exit 0). It sends a heartbeat every second, each closed second raw and a
 * cumulative snapshot every report interval, all encoded exactly (stats/latency-codec.ts).
 *
 * Exits 1 with a message naming the master when the master goes away without 'quit' or is
 * silent for MASTER_GONE_MS; 104 when the master refuses it; 105 on Ctrl-C (it tells the
 * master with 'bye').
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import type { TlsOptions } from '../clients/tls-options.ts';
import { EXIT_ABORTED, EXIT_ERROR, EXIT_INVALID_CONFIG, EXIT_OK } from '../gates/exit-codes.ts';
import { encodeSparse, encodeStats } from '../stats/latency-codec.ts';
import { LineChannel } from './line-channel.ts';
import {
  CONNECT_WAIT_MS,
  HEARTBEAT_MS,
  MASTER_GONE_MS,
  REPORT_INTERVAL_MS,
  type ToMaster,
  type ToWorker,
  type WireSnapshot,
} from './remote-protocol.ts';
import { pickClasses, type UserFile } from './user-file.ts';
import { HostCore, type HostSnapshot } from './user-host.ts';

export interface SwarmWorkerOptions {
  file: UserFile;
  masterHost: string;
  masterPort: number;
  version: string;
  /** --insecure / --ca given on the worker (otherwise the master's). */
  tls?: TlsOptions;
  out?: (text: string) => void;
  err?: (text: string) => void;
  signal?: AbortSignal;
  connectWaitMs?: number;
}

export function encodeSnapshot(s: HostSnapshot): WireSnapshot {
  return { ...s, stats: encodeStats(s.stats) };
}

/** Connects, retrying on refusal until `waitMs` has passed. */
async function connectWithRetry(host: string, port: number, waitMs: number, signal?: AbortSignal) {
  const deadline = performance.now() + waitMs;
  for (;;) {
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
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function runSwarmWorker(o: SwarmWorkerOptions): Promise<number> {
  const out = o.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = o.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const where = `${o.masterHost}:${o.masterPort}`;
  const waitMs = o.connectWaitMs ?? CONNECT_WAIT_MS;
  let socket: Socket;
  try {
    socket = await connectWithRetry(o.masterHost, o.masterPort, waitMs, o.signal);
  } catch (e) {
    if (o.signal?.aborted) return EXIT_ABORTED;
    err(
      `tickstorm swarm --worker: cannot reach the master at ${where} (--master-host/--master-port) within ${waitMs / 1000} s: ${(e as Error).message} [LAB_ERR_MASTER_GONE]`,
    );
    return EXIT_ERROR;
  }
  const link = new LineChannel<ToWorker, ToMaster>(socket);
  const id = `${hostname()}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
  let core: HostCore | null = null;
  let reporter: NodeJS.Timeout | undefined;
  let lastHeard = performance.now();
  let finished = false;
  let resolveExit: (code: number) => void = () => undefined;
  const exit = new Promise<number>((r) => {
    resolveExit = r;
  });

  const stopCore = async (): Promise<HostSnapshot | null> => {
    clearInterval(reporter);
    const c = core;
    core = null;
    if (c === null) return null;
    const snap = await c.stop();
    await c.close();
    return snap;
  };
  const finish = async (code: number, message?: string) => {
    if (finished) return;
    finished = true;
    clearInterval(beat);
    clearInterval(watch);
    o.signal?.removeEventListener('abort', onAbort);
    if (message !== undefined) (code === EXIT_OK ? out : err)(message);
    await stopCore().catch(() => undefined);
    if (code === EXIT_OK || code === EXIT_ABORTED) await link.close();
    else link.destroy('worker exit');
    resolveExit(code);
  };

  const handle = async (m: ToWorker): Promise<void> => {
    if (m.t === 'welcome') out(`Connected to the master at ${where} as worker ${id}`);
    else if (m.t === 'reject')
      await finish(
        EXIT_INVALID_CONFIG,
        `tickstorm swarm --worker: the master refused this worker: ${m.message} [LAB_ERR_WORKER_REFUSED]`,
      );
    else if (m.t === 'start') {
      await stopCore();
      const init = { ...m.init, tls: o.tls ?? m.init.tls };
      const c = new HostCore(pickClasses(o.file, m.classNames), init, (slice) =>
        link.send({ t: 'slice', slice: { ...slice, latency: encodeSparse(slice.latency) } }),
      );
      core = c;
      reporter = setInterval(
        () => link.send({ t: 'snapshot', snapshot: encodeSnapshot(c.snapshot()) }),
        REPORT_INTERVAL_MS,
      );
      out(`Test started (${m.classNames.join(', ')})`);
    } else if (m.t === 'ops') {
      for (const op of m.ops) {
        if (op[0] === 's') core?.runner.spawn(op[1], op[2], op[3]);
        else core?.runner.retire(op[1]);
      }
    } else if (m.t === 'reset') core?.resetStats();
    else if (m.t === 'stop') {
      const snap = await stopCore();
      if (snap !== null) link.send({ t: 'stopped', snapshot: encodeSnapshot(snap) });
      out('Test stopped; final statistics sent');
    } else if (m.t === 'quit') await finish(EXIT_OK, 'The master sent quit: exiting');
  };

  let chain = Promise.resolve();
  link.on('message', (m) => {
    lastHeard = performance.now();
    chain = chain
      .then(() => (finished ? undefined : handle(m)))
      .catch((e: unknown) => {
        const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
        link.send({ t: 'error', message });
        void finish(EXIT_ERROR, `tickstorm swarm --worker: ${message}`);
      });
  });
  link.on('close', (reason) => {
    void chain.then(() =>
      finish(
        EXIT_ERROR,
        `tickstorm swarm --worker: the master at ${where} went away (${reason}) without sending quit [LAB_ERR_MASTER_GONE]`,
      ),
    );
  });
  const beat = setInterval(() => link.send({ t: 'heartbeat', users: core?.runner.users ?? 0 }), HEARTBEAT_MS);
  const watch = setInterval(() => {
    if (performance.now() - lastHeard > MASTER_GONE_MS)
      void finish(
        EXIT_ERROR,
        `tickstorm swarm --worker: no word from the master at ${where} for ${MASTER_GONE_MS / 1000} s [LAB_ERR_MASTER_GONE]`,
      );
  }, 500);
  const onAbort = () => {
    link.send({ t: 'bye', reason: 'interrupted (Ctrl-C on the worker)' });
    void finish(EXIT_ABORTED, 'Interrupted: told the master and exiting');
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });
  link.send({ t: 'hello', id, version: o.version, classes: [...o.file.classes.keys()] });
  link.send({ t: 'heartbeat', users: 0 });
  return exit;
}
