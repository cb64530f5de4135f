/**
 * `tickstorm run`'s flags, in the order --help shows them: its own (target, run, gates, reports,
 * many machines), then every scenario parameter (the union of the scenarios' ParamSpecs; a flag
 * several scenarios declare goes to each selected one that has it), then --key-file.
 */
import { paramFlagHelp, paramFlagUnion } from '@tickstorm/loadlab';
import { DEFAULT_PORTS } from '@tickstorm/protocol';
import type { TickstormScenario } from '@tickstorm/scenarios';
import { type Command, Option } from 'commander';
import { METRICS_PORT_HELP } from './metrics-port.ts';
import { CONFIG_FILE } from './run-defaults.ts';

const PORTS = Object.values(DEFAULT_PORTS).join('/');

/** Long flags of `run` itself; a scenario flag with one of these names is not offered. */
const FIXED = [
  'target',
  'metrics-port',
  'key-file',
  'market-data-url',
  'orders-url',
  'risk-url',
  'api-url',
  'full',
  'workers',
  'threshold',
  'thresholds',
  'no-thresholds',
  'config',
  'json',
  'csv',
  'results-csv',
  'summary-export',
  'summary-trend-stats',
  'summary-time-unit',
  'summary',
  'no-summary',
  'quiet',
  'html',
  'junit',
  'watch-pid',
  'watch',
  'no-watch',
  'bench',
  'no-bench',
  'gate-resources',
  'insecure',
  'ca',
  'cert',
  'key',
  'out',
  'config-file',
  'execution-segment',
  'env',
  'tag',
  'vus',
  'iterations',
  'stage',
  'help',
];

/** The scenario parameter that is also a script's k6 shortcut (-d, in the script group). */
const SHARED = 'duration';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** A scenario parameter's flag (no dashes) and its option. */
export type ParamOptions = [flag: string, option: Option][];

/** Adds `run` with every flag to `program`; the caller adds the help text and the action. */
export function defineRunFlags(
  program: Command,
  defs: readonly TickstormScenario[],
): { cmd: Command; paramOptions: ParamOptions } {
  const ids = defs.map((d) => d.id);
  const union = paramFlagUnion(defs);
  const shared = union.find((f) => f.flag === SHARED);
  const cmd = program
    .command('run')
    .argument(
      '[scenario...]',
      `${ids.join(' | ')} | all (several: a b, or a,b), or a script FILE; a --worker takes its master's`,
    )
    .description('run the standard load scenarios against a running system, with thresholds as a CI gate')
    .optionsGroup('Target:')
    .option('--target <host>', `host of every service at the default ports ${PORTS}`, '127.0.0.1')
    .option('--market-data-url <url>', 'market-data: http://host:port, or ws://host:port/stream')
    .option('--orders-url <url>', 'execution-engine: http://host:port')
    .option('--risk-url <url>', 'risk-manager: http://host:port')
    .option('--api-url <url>', 'api: http://host:port (ws://host:port/ws/metrics derived)')
    .optionsGroup('Run:')
    .option('--full', 'the full load profiles (5-10 minutes each) instead of the short defaults')
    .option('--workers <n|auto>', 'generator threads (a script: default 1)', 'auto')
    .option('-q, --quiet', "no progress line while it runs (k6's flag); the results are printed as usual")
    .option('--bench', 'first run `tickstorm bench` for the Critical Path table (default: on for all)')
    .option('--no-bench', 'do not')
    .option(
      '--watch-pid <pid>',
      'resource-watch this local process (repeatable) instead of /api/metrics/system',
      collect,
    )
    .option('--no-watch', 'no resource watch')
    .option('--insecure', 'https/wss: do not verify the server certificate (self-signed test systems)')
    .option('--ca <file>', 'https/wss: also trust the PEM certificate(s) in FILE')
    .option(
      '--cert <file>',
      'https/wss: present this PEM client certificate (mutual TLS) to every host that asks (a script: after its options.tlsAuth); may also hold the key',
    )
    .option('--key <file>', 'https/wss: the PEM private key of --cert (not --key-file, the API signing key)')
    .option(
      '-e, --env <KEY=VALUE>',
      "a script's __ENV.KEY (repeatable; over the process environment)",
      collect,
    )
    .option(
      '--tag <NAME=VALUE>',
      "a script: k6's tag on every sample it records (repeatable; over options.tags, under a scenario's own)",
      collect,
    )
    .option(
      '--execution-segment <segment>',
      'run only this equal part of the load, as k6 writes it: 0:1/2, 1/2:1, 1/3:2/3 (every rate, VU and iteration count; the parts add up exactly)',
    )
    .optionsGroup("A script's execution (k6's shortcuts, over its options; docs/scripts.md):")
    .option('-u, --vus <n>', "VUs (alone: over the script's options.vus)")
    .addOption(
      new Option(
        '-d, --duration <duration>',
        `a script: one constant-vus scenario this long (with --iterations: its maxDuration)${
          shared === undefined ? '' : `; the built-in scenarios' parameter: ${paramFlagHelp(shared)}`
        }`,
      ),
    )
    .option('-i, --iterations <n>', 'one shared-iterations scenario: this many iterations in all')
    .option(
      '-s, --stage <duration:target>',
      'one ramping-vus scenario: a stage, 30s:10 (repeatable, or 30s:10,1m:0), from --vus (default 1)',
      collect,
    )
    .optionsGroup('Gates:')
    .option('--threshold <expr>', "pass/fail criterion, e.g. 'p95<100ms' (repeatable)", collect)
    .option(
      '--no-thresholds',
      "a script: do not check its thresholds (options.thresholds, --threshold), k6's flag: they decide no exit code and stop no run",
    )
    .option('--config <file>', 'JSON file with thresholds and per-scenario params')
    .option(
      '--config-file <file>',
      `JSON file of run flags ({"rate": 500, "orders-url": "..."}); default ./${CONFIG_FILE} when present`,
    )
    .option('--gate-resources', 'resource peaks over the limits (< 2 GB, < 80% CPU) fail the run too')
    .optionsGroup('Reports:')
    .option('--json <file>', 'the results as JSON')
    .option('--csv <prefix>', 'Locust-compatible CSV files: PREFIX_stats.csv, PREFIX_stats_history.csv, ...')
    .option('--results-csv <file>', 'one row per request (timestamp,latency,success,duration,name,scenario)')
    .option('--html <file>', 'self-contained HTML report with charts')
    .option('--junit <file>', 'JUnit XML (one test case per target and threshold)')
    .option(
      '--summary-export <file>',
      "a script: k6's end-of-test summary export (JSON; a threshold is true when it failed, as k6 writes it)",
    )
    .option(
      '--summary-trend-stats <stats>',
      "a script: the trends' figures in its summary, k6's flag (over options.summaryTrendStats), e.g. 'avg,med,p(95),p(99.9),count'",
    )
    .option('--summary-time-unit <unit>', "a script: the summary's time unit, s, ms or us (k6's flag)")
    .option(
      '--no-summary',
      "a script: no end-of-test summary and no handleSummary() (k6's flag); report files and the verdict line stay",
    )
    .option('--metrics-port <port>', METRICS_PORT_HELP)
    .option(
      '-o, --out <output>',
      "stream results: json=FILE (k6's JSON lines) or prometheus[=PORT] (the generator's /metrics, default port 9464); repeatable, one json= a run",
      collect,
    )
    .optionsGroup('Many machines (docs/load-lab.md#many-machines-run---master-and---worker):')
    .option(
      '--master',
      'run no load here: send this test to the --worker processes, each runs 1/N of the load; merge their reports exactly',
    )
    .option(
      '--worker',
      "run its part of the master's test (at --master-host) when it says go; no scenario or script needed here",
    )
    .option('--expect-workers <n>', 'master: start once this many workers joined (default 1)')
    .option(
      '--expect-workers-max-wait <seconds>',
      'master: give up (exit 1) after this long (default 60; 0: for ever)',
    )
    .option('--master-bind-host <host>', 'master: address workers connect to (default 127.0.0.1)')
    .option('--master-bind-port <port>', 'master: port (default 5557; 0: any free port, printed)')
    .option('--master-host <host>', "worker: the master's address (default 127.0.0.1)")
    .option('--master-port <port>', "worker: the master's port (default 5557)")
    .optionsGroup('Scenario parameters (each goes to every selected scenario declaring it):');
  const paramOptions: ParamOptions = [];
  const durationOption = cmd.options.find((x) => x.long === `--${SHARED}`);
  if (shared !== undefined && durationOption !== undefined) paramOptions.push([SHARED, durationOption]);
  for (const f of union) {
    if (FIXED.includes(f.flag) || f.flag === SHARED) continue;
    const bool = f.owners.every((x) => x.spec.type === 'boolean');
    const o = new Option(`--${f.flag} ${bool ? '[bool]' : '<value>'}`, paramFlagHelp(f));
    cmd.addOption(o);
    paramOptions.push([f.flag, o]);
    if (bool && !FIXED.includes(`no-${f.flag}`))
      cmd.addOption(new Option(`--no-${f.flag}`, `--${f.flag} false`));
  }
  cmd.option(
    '--key-file <file>',
    'sign every request with this key ({"id","secret"}; or env TICKSTORM_KEY_ID/TICKSTORM_KEY_SECRET)',
  );
  return { cmd, paramOptions };
}
