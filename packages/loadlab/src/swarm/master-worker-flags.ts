/**
 * Locust's many-machine flags, shared by `swarm` and `run`: --master, --worker,
 * --expect-workers, --expect-workers-max-wait, --master-bind-host, --master-bind-port,
 * --master-host, --master-port. Every problem is collected, naming the flag.
 */
import { DEFAULT_MASTER_PORT } from './remote-protocol.ts';

export interface MasterWorkerFlags {
  master?: boolean;
  worker?: boolean;
  expectWorkers?: string;
  expectWorkersMaxWait?: string;
  masterBindHost?: string;
  masterBindPort?: string;
  masterHost?: string;
  masterPort?: string;
}

export interface MasterWorkerPlan {
  /** local: this process; master: the load runs on --worker processes; worker: a master's. */
  role: 'local' | 'master' | 'worker';
  expectWorkers: number;
  /** 0: wait for ever. */
  expectWorkersMaxWaitSec: number;
  masterBindHost: string;
  masterBindPort: number;
  masterHost: string;
  masterPort: number;
}

/** The flags as the CLI parsed them (commander's camel-cased options), typed. */
export function masterWorkerFlagsOf(o: Record<string, unknown>): MasterWorkerFlags {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    master: o.master === true,
    worker: o.worker === true,
    expectWorkers: str(o.expectWorkers),
    expectWorkersMaxWait: str(o.expectWorkersMaxWait),
    masterBindHost: str(o.masterBindHost),
    masterBindPort: str(o.masterBindPort),
    masterHost: str(o.masterHost),
    masterPort: str(o.masterPort),
  };
}

const int = (v: string) => (/^-?\d+$/.test(v.trim()) ? Number(v) : Number.NaN);

/** Defaults: Locust's port 5557; the master binds to loopback unless told (the link has no authentication). */
export function planMasterWorker(i: MasterWorkerFlags, problems: string[]): MasterWorkerPlan {
  const port = (flag: string, v: string | undefined) => {
    if (v === undefined) return DEFAULT_MASTER_PORT;
    const n = int(v);
    if (!(n >= 0 && n <= 65535)) problems.push(`${flag} must be a port 0..65535, got '${v}'`);
    return n;
  };
  if (i.master === true && i.worker === true) problems.push('--master and --worker exclude each other');
  const role = i.master === true ? 'master' : i.worker === true ? 'worker' : 'local';
  const expectWorkers = i.expectWorkers === undefined ? 1 : int(i.expectWorkers);
  if (!(expectWorkers >= 1))
    problems.push(`--expect-workers must be an integer >= 1, got '${i.expectWorkers}'`);
  const wait = i.expectWorkersMaxWait === undefined ? 60 : Number(i.expectWorkersMaxWait);
  if (!(wait >= 0))
    problems.push(
      `--expect-workers-max-wait must be seconds >= 0 (0: wait for ever), got '${i.expectWorkersMaxWait}'`,
    );
  const masterPort = port('--master-port', i.masterPort);
  if (role === 'worker' && masterPort === 0)
    problems.push('--master-port must be the port the master listens on, not 0');
  const masterOnly = {
    '--expect-workers': i.expectWorkers,
    '--expect-workers-max-wait': i.expectWorkersMaxWait,
    '--master-bind-host': i.masterBindHost,
    '--master-bind-port': i.masterBindPort,
  };
  const workerOnly = { '--master-host': i.masterHost, '--master-port': i.masterPort };
  if (role !== 'master')
    for (const [flag, v] of Object.entries(masterOnly))
      if (v !== undefined) problems.push(`${flag} needs --master`);
  if (role !== 'worker')
    for (const [flag, v] of Object.entries(workerOnly))
      if (v !== undefined) problems.push(`${flag} needs --worker`);
  return {
    role,
    expectWorkers,
    expectWorkersMaxWaitSec: wait,
    masterBindHost: i.masterBindHost ?? '127.0.0.1',
    masterBindPort: port('--master-bind-port', i.masterBindPort),
    masterHost: i.masterHost ?? '127.0.0.1',
    masterPort,
  };
}
