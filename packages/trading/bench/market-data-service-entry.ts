/**
 * Starts the real market-data service alone in this process (for the ingest benchmark,
 * which runs its generator in another process so each has its own core) and prints
 * `{"port":N,"pid":P}` on one stdout line. Stops on SIGTERM or SIGINT (and on stdin closing
 * with --watch-stdin, so it never outlives a parent that dies).
 *
 *   node --import tsx packages/trading/bench/market-data-service-entry.ts [--port N] [--no-subscriber] [--watch-stdin]
 *
 * By default one bus subscriber (a no-op, like the api's stream hub) is attached, so the
 * per-frame MarketUpdate publishing is part of what is measured.
 */
import { InstrumentTable } from '@tickstorm/protocol';
import { InProcessBus } from '../src/bus/bus.ts';
import { Topic } from '../src/bus/topics.ts';
import { startMarketDataService } from '../src/market-data/ingest-server.ts';
import { parseFlags } from './bench-util.ts';

const flags = parseFlags(import.meta.url, {
  port: { type: 'number', default: 0, help: '0: one the OS picks' },
  'no-subscriber': { type: 'boolean', help: 'no bus subscriber attached' },
  'watch-stdin': { type: 'boolean', help: 'stop when stdin closes' },
});
const port = flags.port;

process.title = 'market-data';
const bus = new InProcessBus();
let updates = 0;
if (!flags['no-subscriber']) bus.subscribe(Topic.MARKET_UPDATE, () => updates++);
const md = await startMarketDataService({ instruments: new InstrumentTable(), bus, host: '127.0.0.1', port });
process.stdout.write(`${JSON.stringify({ port: md.port, pid: process.pid })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await md.close();
  await bus.close();
  process.exit(updates >= 0 ? 0 : 1);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (flags['watch-stdin']) {
  process.stdin.on('end', stop);
  process.stdin.resume();
}
