/**
 * Keeps a partitioned engine's data directory consistent with its `--symbols` across restarts:
 * `<dataDir>/partition.json` records the tag and symbols the state was written with. After
 * recovery, a start is refused (INVALID_CONFIG) when
 *
 * - the directory holds orders written under another tag: their ids (`<tag>.<id>`, held by
 *   clients) would be renamed; start with the same first symbol, or `--fresh`;
 * - it holds open orders of symbols this `--symbols` does not own: requests for them would be
 *   routed to another engine, so they could never be cancelled or filled here.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TradingError, TradingErrorCode } from '../errors.ts';
import type { OrderStore } from '../orders/order-store.ts';
import type { Partition } from './partition.ts';

export const PARTITION_FILE = 'partition.json';

export function checkPartitionDir(
  dir: string,
  partition: Partition,
  store: OrderStore,
  report: (line: string) => void,
): void {
  const path = join(dir, PARTITION_FILE);
  const kept = store.size > 0;
  if (existsSync(path)) {
    let prev: { tag?: unknown };
    try {
      prev = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `${path}: ${(err as Error).message}`,
        'symbols',
      );
    }
    if (kept && prev.tag !== partition.tag) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `--symbols: ${dir} holds the orders of the partition tagged ${String(prev.tag)} (ids ${String(prev.tag)}.…), not ${partition.tag}: put ${String(prev.tag)} first in --symbols, or start with --fresh`,
        'symbols',
      );
    }
  } else if (kept) {
    report(
      `--symbols: ${dir} holds orders written without this partition tag; they now read ${partition.tag}.<id>`,
    );
  }
  const foreign = new Set<string>();
  for (const rec of store.exportRecords().live) {
    if (!partition.owns(rec.inst.index)) foreign.add(rec.inst.symbol);
  }
  if (foreign.size > 0) {
    const list = [...foreign].sort().join(', ');
    throw new TradingError(
      TradingErrorCode.INVALID_CONFIG,
      `--symbols: ${dir} holds open orders of ${list}, which --symbols does not own (they could never be reached): add them, or cancel those orders under the previous --symbols first`,
      'symbols',
    );
  }
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ tag: partition.tag, symbols: partition.symbols })}\n`);
  renameSync(tmp, path);
}
