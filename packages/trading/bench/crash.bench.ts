/**
 * The crash harness, long form (./crash-harness.ts): N kill -9 cycles of a real `tickstorm
 * serve execution-engine` at R orders/s over C connections, each cycle followed by the
 * recovery-vs-fresh-replay hash check and a simulated power loss (active logs cut at their
 * last fdatasync). Prints the figures; exits 1 if any acknowledged order was lost.
 *
 *   node --import tsx packages/trading/bench/crash.bench.ts [--cycles 100] [--rate 1000]
 *     [--connections 8] [--min-ms 300] [--max-ms 1500] [--seed 1] [--snapshot-ms 1000]
 *     [--durability fsync|write] [--json]
 */
import { isMain, median, parseFlags } from './bench-util.ts';
import { runCrashHarness } from './crash-harness.ts';

async function main(): Promise<void> {
  const f = parseFlags(import.meta.url, {
    cycles: { type: 'number', default: 100, help: 'kill -9 cycles' },
    rate: { type: 'number', default: 1000, help: 'orders/s' },
    connections: { type: 'number', default: 8 },
    'min-ms': { type: 'number', default: 300, help: 'shortest run before a kill' },
    'max-ms': { type: 'number', default: 1500, help: 'longest run before a kill' },
    seed: { type: 'number', default: 1 },
    'snapshot-ms': { type: 'number', default: 1000, help: 'snapshot interval' },
    durability: { type: 'string', default: 'fsync', choices: ['fsync', 'write'] },
    json: { type: 'boolean', help: 'print the figures as JSON' },
  });
  const json = f.json;
  const t0 = performance.now();
  const res = await runCrashHarness({
    cycles: f.cycles,
    rate: f.rate,
    connections: f.connections,
    runMs: [f['min-ms'], f['max-ms']],
    seed: f.seed,
    snapshotMs: f['snapshot-ms'],
    durability: f.durability as 'fsync' | 'write',
    log: json ? undefined : (l) => console.log(l),
  });
  const out = {
    cycles: res.cycles,
    powerLossSimulations: res.cycles,
    ordersSent: res.sent,
    ordersAcknowledged: res.acknowledged,
    cancelsAcknowledged: res.cancelsAcknowledged,
    lostAfterKill: res.lost,
    lostAfterPowerLoss: res.lostPowerLoss,
    hashMismatches: res.hashMismatches,
    duplicateChecks: res.duplicateChecks,
    restartMsMedian: Math.round(median(res.restartMs)),
    restartMsMax: Math.round(Math.max(...res.restartMs)),
    seconds: Math.round((performance.now() - t0) / 1000),
    failures: res.failures,
  };
  if (json) console.log(JSON.stringify(out, null, 2));
  else {
    console.log('\n=== crash harness ===');
    for (const [k, v] of Object.entries(out)) if (k !== 'failures') console.log(`${k.padEnd(22)} ${v}`);
    for (const f of res.failures) console.log(`FAIL ${f}`);
  }
  process.exitCode = res.lost + res.lostPowerLoss + res.hashMismatches === 0 ? 0 : 1;
}

if (isMain(import.meta.url)) await main();
