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
import { isMain, median, wantsJson } from './bench-util.ts';
import { runCrashHarness } from './crash-harness.ts';

function num(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function str(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

async function main(): Promise<void> {
  const json = wantsJson();
  const t0 = performance.now();
  const res = await runCrashHarness({
    cycles: num('cycles', 100),
    rate: num('rate', 1000),
    connections: num('connections', 8),
    runMs: [num('min-ms', 300), num('max-ms', 1500)],
    seed: num('seed', 1),
    snapshotMs: num('snapshot-ms', 1000),
    durability: str('durability', 'fsync') as 'fsync' | 'write',
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
