/**
 * What starting a query process costs the event loop that serves orders, with and without the
 * launcher (src/guards/query-launcher.ts). This process first holds `--heap-mb` of live JS
 * objects (a serving process holds ~250 MB), then, `--runs` times each, alternating:
 *
 *   direct    `child_process.fork()` from this process, as the query process was started
 *             before the launcher: the call returns once the child has exec'd, and the
 *             event loop waits meanwhile (fork copies this process's page tables);
 *   launcher  `QueryLauncher.fork()`: an IPC message to the launcher, which forks.
 *
 * Reported per way: the time the call held the event loop (median, max), and how long until
 * the child ran (its first message). The child is a one-line script that says hello and exits.
 *
 *   node --import tsx packages/trading/bench/query-launcher.bench.ts [--heap-mb 250] [--runs 10] [--json]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryLauncher } from '../src/guards/query-launcher.ts';
import { median, parseFlags } from './bench-util.ts';

interface Way {
  callMs: number[];
  readyMs: number[];
}

const summary = (w: Way) => ({
  callMsMedian: round(median(w.callMs)),
  callMsMax: round(Math.max(...w.callMs)),
  readyMsMedian: round(median(w.readyMs)),
});

const round = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const values = parseFlags(import.meta.url, {
    'heap-mb': { type: 'number', default: 250, help: 'MB of live objects held first' },
    runs: { type: 'number', default: 10, help: 'starts per way' },
    json: { type: 'boolean', help: 'print the results as JSON' },
  });
  const heapMb = values['heap-mb'];
  const runs = values.runs;
  for (const [flag, v] of [
    ['--heap-mb', heapMb],
    ['--runs', runs],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      process.stderr.write(`${flag} must be a positive integer (got ${String(v)})\n`);
      process.exit(2);
    }
  }

  // Live objects the size of a serving process's heap (kept reachable to the end).
  const held: Array<{ a: number; b: string; c: number[] }[]> = [];
  while (process.memoryUsage().rss < heapMb * 1048576) {
    const block = [];
    for (let i = 0; i < 10_000; i++) block.push({ a: i, b: `v${i}`, c: [i, i + 1, i + 2] });
    held.push(block);
  }
  const rssMb = Math.round(process.memoryUsage().rss / 1048576);

  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-launcher-bench-'));
  const child = join(dir, 'hello.cjs');
  writeFileSync(child, "process.send('hello', () => process.exit(0));\n");
  const launcher = new QueryLauncher();
  const direct: Way = { callMs: [], readyMs: [] };
  const viaLauncher: Way = { callMs: [], readyMs: [] };
  try {
    // The launcher's own start (once, while the system starts) is not counted.
    await startOnce(() => launcher.fork(child, [], { execArgv: [] }));
    for (let i = 0; i < runs; i++) {
      await timeStart(direct, () => fork(child, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
      await timeStart(viaLauncher, () => launcher.fork(child, [], { execArgv: [] }));
    }
  } finally {
    await launcher.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const out = {
    heldRssMb: rssMb,
    heldObjects: held.length * 10_000,
    runs,
    direct: summary(direct),
    launcher: summary(viaLauncher),
  };
  if (values.json) process.stdout.write(`${JSON.stringify(out)}\n`);
  else {
    process.stdout.write(
      [
        `serving-size process: RSS ${rssMb} MB; ${runs} starts each way`,
        `direct fork:  event loop held ${out.direct.callMsMedian} ms (median), ${out.direct.callMsMax} ms (max); child ran after ${out.direct.readyMsMedian} ms`,
        `via launcher: event loop held ${out.launcher.callMsMedian} ms (median), ${out.launcher.callMsMax} ms (max); child ran after ${out.launcher.readyMsMedian} ms`,
        '',
      ].join('\n'),
    );
  }
}

interface Started {
  once(event: 'message', f: (m: unknown) => void): unknown;
  once(event: 'exit', f: () => void): unknown;
}

/** Starts a child, waits for its hello and its exit. */
async function startOnce(start: () => Started): Promise<void> {
  const c = start();
  await Promise.all([
    new Promise<void>((r) => c.once('message', () => r())),
    new Promise<void>((r) => c.once('exit', () => r())),
  ]);
}

async function timeStart(way: Way, start: () => Started): Promise<void> {
  const t0 = performance.now();
  const c = start();
  way.callMs.push(performance.now() - t0);
  const hello = new Promise<void>((r) => c.once('message', () => r()));
  const exit = new Promise<void>((r) => c.once('exit', () => r()));
  await hello;
  way.readyMs.push(performance.now() - t0);
  await exit;
}

await main();
