/**
 * The symbols one execution-engine process owns (`--symbols A,B,…`) when several engine
 * processes partition the instruments (docs/deployment.md#partitioned-execution-engines).
 * Its tag is the first symbol it owns: every order id it issues reads `<tag>.<id>`, so any
 * engine finds an order's owner from the id alone (it serves `Subject.orderRoute(tag)`), and
 * the tag stays the same across restarts because it comes from the configuration.
 */
import type { InstrumentTable } from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';

export class Partition {
  /** The first owned symbol: the prefix of every order id of this partition. */
  readonly tag: string;
  private readonly owned: Uint8Array;

  private constructor(
    readonly symbols: readonly string[],
    instruments: InstrumentTable,
    tag = symbols[0],
  ) {
    this.tag = tag;
    this.owned = new Uint8Array(instruments.size);
    for (const s of symbols) this.owned[instruments.get(s).index] = 1;
  }

  /** Validates `symbols` against the instrument table (INVALID_CONFIG naming --symbols). */
  static of(instruments: InstrumentTable, symbols: readonly string[]): Partition {
    if (symbols.length === 0) {
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        '--symbols needs at least one symbol (A,B,…)',
        'symbols',
      );
    }
    const unknown = symbols.filter((s) => instruments.find(s) === undefined);
    if (unknown.length > 0) {
      const known = instruments.list.map((i) => i.symbol);
      const shown = known.length > 12 ? `${known.slice(0, 12).join(', ')}, …` : known.join(', ');
      throw new TradingError(
        TradingErrorCode.INVALID_CONFIG,
        `--symbols: unknown symbol(s) ${unknown.map((s) => JSON.stringify(s)).join(', ')} (instruments: ${shown})`,
        'symbols',
      );
    }
    return new Partition([...new Set(symbols)], instruments);
  }

  /**
   * Every symbol, ids untagged: the one execution engine of a system apart without `--symbols`
   * (it serves every symbol's route subject, so that the api's agent endpoints reach it).
   */
  static whole(instruments: InstrumentTable): Partition {
    return new Partition(
      instruments.list.map((i) => i.symbol),
      instruments,
      '',
    );
  }

  /** Whether this partition owns the book of instrument `index`. */
  owns(index: number): boolean {
    return this.owned[index] === 1;
  }
}
