/**
 * `tickstorm swarm --worker`: one machine's share of a master's test, over the link of
 * remote-link.ts (connect, hello with the classes of its own user file, heartbeats, quit,
 * a vanished master). 'start' builds a HostCore, 'ops' spawn and retire users, 'reset'
 * clears the statistics, 'stop' ends the test with the final snapshot. Each closed second
 * goes raw and a cumulative snapshot every report interval, all encoded exactly
 * (stats/latency-codec.ts).
 */
import type { TlsOptions } from '../clients/tls-options.ts';
import { EXIT_OK } from '../gates/exit-codes.ts';
import { assessHealth, ProcessCpu, ThreadMonitor } from '../monitor/health.ts';
import type { LoadMetricsServer } from '../monitor/prometheus-exporter.ts';
import { encodeSparse, encodeStats } from '../stats/latency-codec.ts';
import { Timeline } from '../stats/timeline.ts';
import { epochMsToUs } from '../util/clock.ts';
import { type MasterLink, serveMaster } from './remote-link.ts';
import { REPORT_INTERVAL_MS, type WireSnapshot } from './remote-protocol.ts';
import { events } from './test-events.ts';
import type { UserEnvironment } from './user-control.ts';
import { pickClasses, type UserFile } from './user-file.ts';
import { HostCore, type HostSnapshot, type WorkerHealth } from './user-host.ts';
import type { WorkerRunState } from './worker-status.ts';

export interface SwarmWorkerOptions {
  file: UserFile;
  masterHost: string;
  masterPort: number;
  version: string;
  /** --insecure / --ca / --cert / --key given on the worker (workerTls). */
  tls?: TlsOptions;
  out?: (text: string) => void;
  err?: (text: string) => void;
  signal?: AbortSignal;
  connectWaitMs?: number;
  /**
   * --metrics-port: this worker's own requests (per type and name) for Prometheus, under the
   * scenario label `scenario`, over every test the master runs; the caller closes it.
   */
  metrics?: LoadMetricsServer;
  scenario?: string;
}

/** What a worker's runner.quit() from test_start tells the master (it is reported missing with it). */
export const QUIT_REASON = 'runner.quit() in test_start';

export function encodeSnapshot(s: HostSnapshot): WireSnapshot {
  return { ...s, stats: encodeStats(s.stats) };
}

export function runSwarmWorker(o: SwarmWorkerOptions): Promise<number> {
  const out = o.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = o.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  const scenario = o.scenario ?? 'swarm';
  let core: HostCore | null = null;
  let reporter: NodeJS.Timeout | undefined;
  let state: WorkerRunState = 'ready';
  // this process's CPU and event loop over the test: the master reports them as the generator's
  let cpu = new ProcessCpu();
  let loop = new ThreadMonitor();
  const stopCore = async (): Promise<HostSnapshot | null> => {
    clearInterval(reporter);
    const c = core;
    core = null;
    if (c === null) return null;
    const snap = await c.stop();
    await c.close();
    await events.test_stop.fire(c.runner.environment, (m) => err(m));
    o.metrics?.finished(scenario);
    return { ...snap, health: healthOf(cpu.stop(), loop.stop()) };
  };
  let quitSent = false;
  const quitWorker = async (link: MasterLink): Promise<void> => {
    if (quitSent) return;
    quitSent = true;
    link.send({ t: 'bye', reason: QUIT_REASON });
    await link.finish(EXIT_OK, `${QUIT_REASON}: told the master this worker quits; exiting`);
  };
  return serveMaster({
    masterHost: o.masterHost,
    masterPort: o.masterPort,
    version: o.version,
    mode: 'swarm',
    classes: [...o.file.classes.keys()],
    out,
    err,
    signal: o.signal,
    connectWaitMs: o.connectWaitMs,
    users: () => core?.runner.users ?? 0,
    state: () => state,
    cleanup: async () => {
      await stopCore();
    },
    handle: async (m, link) => {
      if (m.t === 'start') {
        await stopCore();
        // Locust's test_start on this worker, before its users start. Its runner.quit() is
        // Locust's worker quitting: this worker tells the master (bye: it is reported missing,
        // its users go to the other workers) and exits 0, its users never started
        let quitting = false;
        let firing = true;
        const environment: UserEnvironment = {
          runner: {
            quit: () => {
              quitting = true;
              // called later (a listener kept it): the same, its users stopped on the way out
              if (!firing) void quitWorker(link);
            },
          },
        };
        await events.test_start.fire(environment, (m) => err(m));
        firing = false;
        if (quitting) {
          await quitWorker(link);
          return;
        }
        const metrics = o.metrics;
        const init = { ...m.init, tls: workerTls(o.tls, m.init.tls), sliceDetail: metrics !== undefined };
        // this worker's own seconds, summarised here for its exporter (the master gets them raw)
        const own = metrics === undefined ? null : ownSeconds(init.startEpochMs, metrics, scenario);
        const c = new HostCore(
          pickClasses(o.file, m.classNames),
          init,
          ({ detail, names, ...slice }) => {
            own?.mergeRaw({ ...slice, detail });
            const n =
              names === undefined
                ? {}
                : { names: names.map((x) => ({ ...x, latency: encodeSparse(x.latency) })) };
            link.send({ t: 'slice', slice: { ...slice, latency: encodeSparse(slice.latency), ...n } });
          },
          (notice) => link.send({ t: 'notice', notice }),
        );
        core = c;
        cpu = new ProcessCpu().start();
        loop = new ThreadMonitor().start();
        reporter = setInterval(
          () => link.send({ t: 'snapshot', snapshot: encodeSnapshot(c.snapshot()) }),
          REPORT_INTERVAL_MS,
        );
        state = 'running';
        link.beat();
        out(`Test started (${m.classNames.join(', ')})`);
      } else if (m.t === 'ops') {
        for (const op of m.ops) {
          if (op[0] === 's') core?.runner.spawn(op[1], op[2], op[3]);
          else core?.runner.retire(op[1]);
        }
      } else if (m.t === 'reset') core?.resetStats();
      else if (m.t === 'stop') {
        const snap = await stopCore();
        state = 'stopped';
        // the final statistics, then the state at once (as Locust's workers send 'client_stopped')
        if (snap !== null) link.send({ t: 'stopped', snapshot: encodeSnapshot(snap) });
        link.beat();
        out('Test stopped; final statistics sent');
      }
    },
  });
}

/** A timeline of one reporter (this worker's host) whose summarised seconds feed `metrics`. */
function ownSeconds(startEpochMs: number, metrics: LoadMetricsServer, scenario: string): Timeline {
  const t = new Timeline(epochMsToUs(startEpochMs), startEpochMs, 1);
  t.onSlice = (slice, detail) => metrics.observe(scenario, slice, detail);
  return t;
}

/** One worker process, one thread, closed model: the same verdict as a one-thread swarm. */
function healthOf(
  cpu: ReturnType<ProcessCpu['stop']>,
  thread: ReturnType<ThreadMonitor['stop']>,
): WorkerHealth {
  const h = assessHealth({
    model: 'closed',
    cpuPercent: cpu.percent,
    threads: [thread],
    workers: 1,
    dropped: 0,
    maxVUs: 0,
    planned: 0,
    started: 0,
    startLagP99Ms: 0,
  });
  return { ...h, cpuSec: Math.round(cpu.cpuSec * 1000) / 1000 };
}

/**
 * A worker's TLS: its own --insecure/--ca when it was given either (else the master's), and
 * its own client certificate (a master's key is never sent: master-pool.ts).
 */
export function workerTls(
  own: TlsOptions | undefined,
  master: TlsOptions | undefined,
): TlsOptions | undefined {
  if (own === undefined) return master;
  const verify = own.insecure === true || own.ca !== undefined ? own : (master ?? {});
  return {
    ...(verify.insecure === undefined ? {} : { insecure: verify.insecure }),
    ...(verify.ca === undefined ? {} : { ca: verify.ca }),
    ...(own.clientCerts === undefined ? {} : { clientCerts: own.clientCerts }),
  };
}
