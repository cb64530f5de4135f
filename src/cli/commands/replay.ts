/**
 * `tickstorm replay FILE`: rebuilds a matching engine from a sequenced input log and
 * prints what it holds (the same books, orders and fills the live shard had).
 */
import { statSync } from 'node:fs';
import { InstrumentTable } from '@tickstorm/protocol';
import { fileKind, MatchingEngine, replayLog } from '@tickstorm/trading';

export function replayCommand(file: string, opts: { json?: boolean }): number {
  const instruments = new InstrumentTable();
  let trades = 0;
  const engine = new MatchingEngine(instruments, {
    listener: {
      onTrade() {
        trades++;
      },
      onOrderStatus() {},
    },
  });
  let stats: ReturnType<typeof replayLog>;
  // A pipe or a device (`<(cat log)`, /dev/stdin, a FIFO) has no length: read by offset it
  // looked like an empty log (exit 0, "0 commands"), and a FIFO with no writer never returned.
  const kind = specialFile(file);
  if (kind !== null) {
    console.error(
      `tickstorm replay: ${file}: ${kind}, not a file: an input log is read by offset; copy it to a file first`,
    );
    return 1;
  }
  try {
    stats = replayLog(file, engine);
  } catch (err) {
    // A file the OS will not read (missing, a directory, no permission): name the file, as a
    // bad log's message does; Node's own message ("EISDIR: illegal operation on a directory,
    // read") names no path.
    const e = err as NodeJS.ErrnoException;
    if (typeof e.code !== 'string' || e.syscall === undefined) throw err;
    console.error(`tickstorm replay: ${file}: cannot read it (${e.message})`);
    return 1;
  }
  const books = engine.snapshot().books.map((b) => {
    const inst = instruments.list[b.book];
    const px = (t: number | undefined) => (t === undefined ? null : inst.price.fromSteps(t));
    return {
      symbol: inst.symbol,
      last: b.last === 0 ? null : px(b.last),
      bestBid: px(b.bids[0]?.price),
      bestAsk: px(b.asks[0]?.price),
      bidLevels: b.bids.length,
      askLevels: b.asks.length,
      restingOrders: [...b.bids, ...b.asks].reduce((n, l) => n + l.count, 0),
      pendingStops: b.buyStops.length + b.sellStops.length,
    };
  });
  const summary = { file, ...stats, trades, liveOrders: engine.liveOrders, books };
  if (opts.json === true) {
    console.log(JSON.stringify(summary, null, 2));
    return 0;
  }
  // A torn tail is said, as the start of `serve` says it: a cut final batch, or a file
  // shorter than its header (a crash while creating it), which reads as an empty log.
  const torn =
    stats.tornBatches > 0
      ? `; ignored a torn final batch (${stats.tornBytes} bytes)`
      : stats.tornBytes > 0
        ? `; ignored ${stats.tornBytes} bytes, a file header cut short (a crash while the file was created)`
        : '';
  console.log(
    `${file}: ${stats.records} commands in ${stats.batches} batches (seq ${stats.firstSeq}..${stats.lastSeq}), ` +
      `${trades} trades, ${engine.liveOrders} live orders${torn}`,
  );
  for (const b of books) {
    console.log(
      `  ${b.symbol.padEnd(6)} last ${b.last ?? '-'}  bid ${b.bestBid ?? '-'}  ask ${b.bestAsk ?? '-'}  ` +
        `${b.restingOrders} resting on ${b.bidLevels + b.askLevels} levels, ${b.pendingStops} pending stops`,
    );
  }
  return 0;
}

/** 'a pipe (FIFO)' and the like for a path that is neither a file nor a directory; null otherwise (or missing). */
function specialFile(file: string): string | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    return null; // missing or unreadable: the read below names why
  }
  return st.isFile() || st.isDirectory() ? null : fileKind(st);
}
