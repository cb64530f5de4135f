/**
 * WebSocket generation: Tickstorm's generator (runScenario + the ws-send script, one thread)
 * sends market-data ticks at a scheduled rate to a minimal `ws` sink in a child process that
 * counts them (bench/ws-sink.ts), and we check the rate against the target:
 *
 *   batched-binary  1,000,000 ticks/s: binary batches of 100 ticks (10,000 frames/s)
 *   batched-json    1,000,000 ticks/s: JSON arrays of 100 ticks
 *   single-json       250,000 ticks/s: one JSON tick per text frame (prebuilt frames)
 *   single-json-ws    250,000 ticks/s: the same through ws.send per frame (for comparison)
 *
 * plus the same at 2x (headroom). Accuracy = ticks sent / (rate x duration) and ticks the
 * sink counted / ticks sent. Median of --runs (default 3) per case.
 *
 *   node --import tsx bench/ws-generation.bench.ts [--runs 3] [--duration 5] [--connections 2] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { runScenario, WS_SEND_SCRIPT } from '@tickstorm/loadlab';
import { childStats, median, parseFlags, startChild } from './bench-util.ts';

interface Case {
  name: string;
  kind: 'json' | 'json-array' | 'binary';
  ticksPerFrame: number;
  ticksPerSec: number;
  via: 'raw' | 'ws';
  goal: number;
}

const flags = parseFlags(import.meta.url, {
  runs: { type: 'number', default: 3, help: 'runs per case, the median reported' },
  duration: { type: 'number', default: 5, help: 'seconds per run' },
  connections: { type: 'number', default: 2 },
  json: { type: 'string', value: 'FILE', help: 'write the rows as JSON' },
});
const { runs, duration, connections } = flags;
const SCRIPT = WS_SEND_SCRIPT.href;
const base: Case[] = [
  {
    name: 'batched-binary',
    kind: 'binary',
    ticksPerFrame: 100,
    ticksPerSec: 1_000_000,
    via: 'raw',
    goal: 1_000_000,
  },
  {
    name: 'batched-json',
    kind: 'json-array',
    ticksPerFrame: 100,
    ticksPerSec: 1_000_000,
    via: 'raw',
    goal: 1_000_000,
  },
  { name: 'single-json', kind: 'json', ticksPerFrame: 1, ticksPerSec: 250_000, via: 'raw', goal: 250_000 },
  { name: 'single-json-ws', kind: 'json', ticksPerFrame: 1, ticksPerSec: 250_000, via: 'ws', goal: 250_000 },
];
const cases = [
  ...base,
  ...base
    .filter((c) => c.via === 'raw')
    .map((c) => ({ ...c, name: `${c.name}-2x`, ticksPerSec: c.ticksPerSec * 2 })),
];

const sink = await startChild(new URL('./ws-sink.ts', import.meta.url));
type SinkStats = { ticks: number; frames: number; cpuSec: number };
const rows: Record<string, unknown>[] = [];
try {
  for (const c of cases) {
    const per: {
      sent: number;
      recvRatio: number;
      cpu: number;
      lagP99: number;
      dropped: number;
      sinkCpu: number;
    }[] = [];
    for (let r = 0; r < runs; r++) {
      const s0 = await childStats<SinkStats>(sink.child);
      const rate = c.ticksPerSec / c.ticksPerFrame;
      const { result, counters } = await runScenario({
        name: c.name,
        executor: {
          executor: 'constant-arrival-rate',
          rate,
          duration: `${duration}s`,
          preAllocatedVUs: 64,
          maxVUs: 4096,
        },
        workers: 1,
        script: { module: SCRIPT },
        params: {
          url: `ws://127.0.0.1:${sink.port}/`,
          kind: c.kind,
          ticksPerFrame: c.ticksPerFrame,
          connections,
          via: c.via,
        },
      });
      // the sink has everything once it counted what was sent (the generator closed its sockets after flushing)
      let s1 = await childStats<SinkStats>(sink.child);
      for (let i = 0; i < 200 && s1.ticks - s0.ticks < counters.ticksSent; i++)
        s1 = await childStats<SinkStats>(sink.child);
      const lag = result.extra.startLagMs as { p99: number };
      per.push({
        sent: counters.ticksSent / duration,
        recvRatio: (s1.ticks - s0.ticks) / counters.ticksSent,
        cpu: result.generator.cpuPercent,
        lagP99: lag.p99,
        dropped: result.generator.droppedIterations,
        sinkCpu: ((s1.cpuSec - s0.cpuSec) / duration) * 100,
      });
    }
    const sent = median(per.map((p) => p.sent));
    const row = {
      case: c.name,
      frame: `${c.kind} x${c.ticksPerFrame} via ${c.via}`,
      target_ticks_per_s: c.ticksPerSec,
      sent_ticks_per_s: Math.round(sent),
      accuracy_pct: Math.round((sent / c.ticksPerSec) * 10000) / 100,
      received_pct: Math.round(median(per.map((p) => p.recvRatio)) * 10000) / 100,
      generator_cpu_pct: median(per.map((p) => p.cpu)),
      sink_cpu_pct: Math.round(median(per.map((p) => p.sinkCpu))),
      start_lag_p99_ms: median(per.map((p) => p.lagP99)),
      dropped: median(per.map((p) => p.dropped)),
      pass: sent >= c.goal && Math.abs(sent / c.ticksPerSec - 1) <= 0.01,
    };
    rows.push(row);
    console.log(
      `${row.case.padEnd(18)} ${row.frame.padEnd(24)} target ${c.ticksPerSec.toLocaleString('en-US').padStart(9)}/s  sent ${row.sent_ticks_per_s.toLocaleString('en-US').padStart(9)}/s (${row.accuracy_pct}%)  received ${row.received_pct}%  gen CPU ${row.generator_cpu_pct}%  sink CPU ${row.sink_cpu_pct}%  lag p99 ${row.start_lag_p99_ms} ms  dropped ${row.dropped}  ${row.pass ? 'PASS' : 'FAIL'}`,
    );
  }
} finally {
  sink.child.kill();
}
const out = flags.json;
if (out !== undefined)
  writeFileSync(
    out,
    `${JSON.stringify({ bench: 'ws-generation', duration_s: duration, runs, connections, rows }, null, 2)}\n`,
  );
