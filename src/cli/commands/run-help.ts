/** The text after `tickstorm run --help`'s flags, and the exit codes `run`, `start` and `swarm` share. */
import { EXIT_CODES_HELP } from '@tickstorm/loadlab';
import { CONFIG_FILE } from './run-defaults.ts';

export const RUN_EXIT_CODES = EXIT_CODES_HELP;

export const RUN_HELP_AFTER = `
Scenarios run in their standard order. Short durations by default; --full uses the full load profiles.

Thresholds (repeatable, or "thresholds" in --config): METRIC[{scenario:ID,name:REQUEST}] OP VALUE
  p95<100ms  p(99)<=2s  avg<50ms  max<1s  error_rate<1%  success_rate>99%  rps>=1000
  p95{scenario:order-stress}<10ms   (unscoped thresholds apply to every scenario)

--config FILE (JSON): {"thresholds": ["p95<100ms"], "params": {"order-stress": {"rate": 500}}}

Resource watch: CPU and RSS of the target during each scenario, from its /api/metrics/system
(default) or from /proc for --watch-pid PIDs on this machine; peaks are checked against the
limits (< 2 GB RSS, < 80% CPU per process) and reported; --gate-resources makes a miss exit 99.

--bench runs \`tickstorm bench\` (this checkout's critical-path micro-benchmarks, on this
machine) first, for the Critical Path table's first four rows; on by default for \`all\`.
${RUN_EXIT_CODES}

Scripts (docs/scripts.md): \`tickstorm run FILE.ts|FILE.js\` runs a k6-style script exporting
\`options\` and a default function (tickstorm/http, tickstorm/metrics: Counter Gauge Rate Trend,
tickstorm/execution, or k6's names). A path operand (.ts/.js/.mjs/.mts or a /) is a script; the
scenario flags do not apply to it, but k6's shortcuts do: -d/--duration D, -i/--iterations N or
-s/--stage D:T (repeatable) replace its scenarios with one 'default' scenario (a note names them;
VUs: -u/--vus, else its options.vus, else 1); --vus alone sets a shortcut script's vus (over
scenarios: 104). --workers defaults to 1 for scripts. setup() runs once before
the scenarios, teardown(data) once after (also after 99, 108, Ctrl-C); with a setup() fn(data, ctx)
is called, else fn(ctx); setup() failing is 107 and nothing runs. __ENV is the environment with
-e KEY=VALUE and a scenario's env over it; __VU (unique in the test) and __ITER as k6's;
exec.test.abort(reason) stops the run (108). handleSummary(data) replaces the summary (throwing: 107).

Many machines (docs/load-lab.md#many-machines-run---master-and---worker): the master's command line is
the test, and each of the N workers runs 1/N of it (k6's execution segments: every rate, VU and
iteration count is split, the parts adding up exactly); the master merges their reports exactly.
  tickstorm run order-stress --rate 1000 --master --expect-workers 2 --master-bind-host 0.0.0.0
  tickstorm run --worker --master-host 10.0.0.5     (on each machine: 500 orders/s; a script comes from the master)
A script's options.thresholds are checked by the master on the merged whole (99 when one fails there);
each part's own verdict is shown, not deciding; a part stopped by abortOnFail or exec.test.abort() (108)
or a script error (107) stops the other parts, and the master exits with its code.
A worker given scenario parameters or target flags of its own, or unable to run the master's test, exits 104.
A script's setup(), teardown() and handleSummary() run once, on the master; setup()'s data goes to the workers.
Prometheus: give --metrics-port P (or --out prometheus[=P]) to each worker, not to the master (104): a worker
serves its own part for the life of its process (counters never reset), closed as it exits after the master's quit.

Every flag may also come from the environment, TICKSTORM_<FLAG> (--orders-url: TICKSTORM_ORDERS_URL,
--no-bench: TICKSTORM_BENCH=false), or from ./${CONFIG_FILE} (or --config-file FILE), a JSON object
keyed by flag name. Flags win over the environment, the environment over the file.

Examples:
  tickstorm run all
  tickstorm run ./load.ts --json out.json
  tickstorm run ./load.ts --vus 5 --duration 30s      (k6's: one constant-vus scenario)
  tickstorm run order-stress --rate 2000 --duration 30s --threshold 'p95<100ms' --json out.json
  tickstorm run market-data-flood --target 10.0.0.5 --csv results/locust --html report.html`;
