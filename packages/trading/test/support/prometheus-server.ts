/**
 * A real Prometheus (Debian's `prometheus`, installed by .ci/run) for a test: a generated
 * config (1 s scrapes, one job per entry) in a temp dir, its HTTP API on a free port, and
 * the two questions the tests ask it: the targets, and an instant query.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapIfTestDies } from './child-process.ts';

export const PROMETHEUS = '/usr/bin/prometheus';
export const havePrometheus = existsSync(PROMETHEUS);

export interface PromTarget {
  labels: { job: string; instance: string };
  health: string;
  lastScrape: string;
  /** Seconds. */
  lastScrapeDuration: number;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromRule {
  type: 'recording' | 'alerting';
  name: string;
  query: string;
  health: string;
  lastError?: string;
}

export interface PrometheusServer {
  readonly url: string;
  targets(): Promise<PromTarget[]>;
  /** Every rule loaded, from /api/v1/rules. */
  rules(): Promise<PromRule[]>;
  /** An instant query's vector; throws on a PromQL error. */
  query(expr: string): Promise<PromSample[]>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Calls `attempt` every 250 ms until it returns a value, for at most `ms`. */
export async function poll<T>(what: string, ms: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await attempt().catch(() => undefined);
    if (v !== undefined) return v;
    if (performance.now() > end) throw new Error(`gave up waiting for ${what} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts Prometheus scraping `jobs` (job name -> host:port, or several) every second, each job
 * with `basicAuth` when given, evaluating the rule files `ruleFiles` (paths or globs) every
 * second; resolves when ready.
 */
export async function startPrometheus(
  jobs: Record<string, string | readonly string[]>,
  basicAuth?: { username: string; passwordFile: string },
  ruleFiles: readonly string[] = [],
): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    ...(ruleFiles.length === 0 ? [] : ['rule_files:', ...ruleFiles.map((f) => `  - '${f}'`)]),
    'scrape_configs:',
    ...Object.entries(jobs).flatMap(([job, hosts]) => [
      `  - job_name: ${job}`,
      ...(basicAuth === undefined
        ? []
        : [
            '    basic_auth:',
            `      username: ${basicAuth.username}`,
            `      password_file: ${basicAuth.passwordFile}`,
          ]),
      '    static_configs:',
      `      - targets: [${[hosts]
        .flat()
        .map((h) => `'${h}'`)
        .join(', ')}]`,
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  // killed (and its directory removed) if this test process dies first; cancelled on exit
  if (child.pid !== undefined) child.once('exit', reapIfTestDies(child.pid, 'KILL', dir));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await poll('Prometheus ready', 60_000, async () =>
      (await fetch(`${url}/-/ready`)).ok ? true : undefined,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    stop,
    async targets() {
      const r = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
        data: { activeTargets: PromTarget[] };
      };
      return r.data.activeTargets;
    },
    async rules() {
      const r = (await (await fetch(`${url}/api/v1/rules`)).json()) as {
        data: { groups: { rules: PromRule[] }[] };
      };
      return r.data.groups.flatMap((g) => g.rules);
    },
    async query(expr) {
      const r = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as {
        status: string;
        error?: string;
        data: { result: PromSample[] };
      };
      if (r.status !== 'success') throw new Error(`${expr}: ${r.error}`);
      return r.data.result;
    },
  };
}
