/**
 * Instruments: symbol, tick size, lot size, price limits. Prices are integer ticks and
 * quantities integer lots inside; an InstrumentTable converts at the edge.
 */
import { DecimalGrid } from './decimal-grid.ts';
import { ProtocolError, ProtocolErrorCode } from './errors.ts';
import { quoteValue } from './util/quote-value.ts';

/**
 * What an order price between two ticks gets: `round` to the grid on the passive side
 * (the default), or `reject` with PRT_ERR_PRICE_OFF_TICK.
 */
export type OffTickPrices = 'round' | 'reject';

export const OFF_TICK_MODES: readonly OffTickPrices[] = ['round', 'reject'];

export interface InstrumentSpec {
  symbol: string;
  /** Price increment as a decimal, e.g. 0.01. */
  tickSize: number;
  /** Quantity increment as a decimal, e.g. 1 (shares) or 0.001 (crypto). */
  lotSize: number;
  /** Lowest accepted price (decimal), default one tick. */
  minPrice?: number;
  /** Highest accepted price (decimal), default the largest exact decimal on the grid. */
  maxPrice?: number;
  /** Order prices off the tick grid: `round` (default) or `reject`. */
  offTickPrices?: OffTickPrices;
}

export interface Instrument {
  /** Dense index 0..n-1, used for array-indexed per-symbol state. */
  readonly index: number;
  readonly symbol: string;
  readonly price: DecimalGrid;
  readonly qty: DecimalGrid;
  readonly minPriceTicks: number;
  readonly maxPriceTicks: number;
  readonly offTickPrices: OffTickPrices;
  readonly spec: Readonly<InstrumentSpec>;
}

/** SYM0..SYM49 (the market-data flood scenario) and the order-stress symbols. */
export const DEFAULT_SYMBOLS: readonly string[] = [
  ...Array.from({ length: 50 }, (_, i) => `SYM${i}`),
  'AAPL',
  'GOOGL',
  'MSFT',
  'AMZN',
  'TSLA',
];

export function defaultInstrumentSpecs(): InstrumentSpec[] {
  return DEFAULT_SYMBOLS.map((symbol) => ({ symbol, tickSize: 0.01, lotSize: 1 }));
}

const SYMBOL_RE = /^[A-Za-z0-9._:/-]{1,32}$/;

export class InstrumentTable {
  readonly list: readonly Instrument[];
  private readonly bySymbol: Map<string, Instrument>;
  /** Upper-cased symbol -> the symbol (undefined when two fold together), built on first need. */
  private byFoldedSymbol: Map<string, string | undefined> | undefined;

  /** `offTickPrices`: the mode of instruments whose spec names none (default `round`). */
  constructor(
    specs: readonly InstrumentSpec[] = defaultInstrumentSpecs(),
    defaults: { offTickPrices?: OffTickPrices } = {},
  ) {
    const problems: string[] = [];
    const list: Instrument[] = [];
    const bySymbol = new Map<string, Instrument>();
    specs.forEach((spec, i) => {
      const where = `instruments[${i}]`;
      if (typeof spec.symbol !== 'string' || !SYMBOL_RE.test(spec.symbol)) {
        problems.push(`${where}.symbol must match ${SYMBOL_RE}`);
        return;
      }
      if (bySymbol.has(spec.symbol)) {
        problems.push(`${where}.symbol ${spec.symbol} is listed twice`);
        return;
      }
      try {
        const price = new DecimalGrid(spec.tickSize);
        const qty = new DecimalGrid(spec.lotSize, ProtocolErrorCode.QTY_OFF_LOT);
        const minPriceTicks =
          spec.minPrice === undefined ? 1 : price.toSteps(spec.minPrice, `${where}.minPrice`);
        const maxPriceTicks =
          spec.maxPrice === undefined ? price.maxSteps : price.toSteps(spec.maxPrice, `${where}.maxPrice`);
        if (minPriceTicks > maxPriceTicks) problems.push(`${where}: minPrice is above maxPrice`);
        const offTickPrices = spec.offTickPrices ?? defaults.offTickPrices ?? 'round';
        if (!OFF_TICK_MODES.includes(offTickPrices)) {
          problems.push(`${where}.offTickPrices must be "round" or "reject"`);
        }
        const inst: Instrument = {
          index: list.length,
          symbol: spec.symbol,
          price,
          qty,
          minPriceTicks,
          maxPriceTicks,
          offTickPrices,
          spec: Object.freeze({ ...spec }),
        };
        list.push(inst);
        bySymbol.set(spec.symbol, inst);
      } catch (err) {
        problems.push(`${where} (${spec.symbol}): ${(err as Error).message}`);
      }
    });
    if (problems.length > 0) {
      throw new ProtocolError(
        ProtocolErrorCode.INVALID_INSTRUMENT,
        `invalid instruments: ${problems.join('; ')}`,
      );
    }
    this.list = list;
    this.bySymbol = bySymbol;
  }

  get size(): number {
    return this.list.length;
  }

  find(symbol: string): Instrument | undefined {
    return this.bySymbol.get(symbol);
  }

  /**
   * The message for a symbol no instrument has: `unknown symbol "aapl"`, and when it differs from
   * one only in case, `(symbols are case-sensitive: "AAPL")`, since a user typing `aapl` would
   * otherwise think the instrument missing. Rejections only: the hot paths never call it.
   */
  unknownSymbolMessage(symbol: unknown): string {
    const message = `unknown symbol ${quoteValue(symbol)}`;
    if (typeof symbol !== 'string') return message;
    if (this.byFoldedSymbol === undefined) {
      this.byFoldedSymbol = new Map();
      for (const inst of this.list) {
        const folded = inst.symbol.toUpperCase();
        // Two symbols one case apart (`Ab`, `AB`) suggest neither.
        this.byFoldedSymbol.set(folded, this.byFoldedSymbol.has(folded) ? undefined : inst.symbol);
      }
    }
    const near = this.byFoldedSymbol.get(symbol.toUpperCase());
    return near === undefined ? message : `${message} (symbols are case-sensitive: "${near}")`;
  }

  /** The instrument for `symbol`, or a PRT_ERR_UNKNOWN_SYMBOL error naming `field`. */
  get(symbol: unknown, field = 'symbol'): Instrument {
    const inst = typeof symbol === 'string' ? this.bySymbol.get(symbol) : undefined;
    if (inst === undefined) {
      throw new ProtocolError(ProtocolErrorCode.UNKNOWN_SYMBOL, this.unknownSymbolMessage(symbol), field);
    }
    return inst;
  }

  /** Price decimal -> ticks, checking the grid and the instrument's price range. */
  priceToTicks(inst: Instrument, price: number, field = 'price'): number {
    const ticks = inst.price.toSteps(price, field);
    if (ticks < inst.minPriceTicks || ticks > inst.maxPriceTicks) {
      throw new ProtocolError(
        ProtocolErrorCode.OUT_OF_RANGE,
        `${field} ${price} is outside [${inst.price.fromSteps(inst.minPriceTicks)}, ${inst.price.fromSteps(inst.maxPriceTicks)}] for ${inst.symbol}`,
        field,
      );
    }
    return ticks;
  }

  /**
   * Order price decimal -> ticks under the instrument's off-tick mode: `reject` is
   * priceToTicks; `round` rounds a price between two ticks up or down (the caller picks
   * the passive side), then checks the range.
   */
  orderPriceToTicks(inst: Instrument, price: number, up: boolean, field = 'price'): number {
    if (inst.offTickPrices === 'reject') return this.priceToTicks(inst, price, field);
    const ticks = inst.price.roundToSteps(price, field, up);
    if (ticks < inst.minPriceTicks || ticks > inst.maxPriceTicks) {
      throw new ProtocolError(
        ProtocolErrorCode.OUT_OF_RANGE,
        `${field} ${price} is outside [${inst.price.fromSteps(inst.minPriceTicks)}, ${inst.price.fromSteps(inst.maxPriceTicks)}] for ${inst.symbol}`,
        field,
      );
    }
    return ticks;
  }

  ticksToPrice(inst: Instrument, ticks: number): number {
    return inst.price.fromSteps(ticks);
  }

  /** Quantity decimal -> lots. */
  qtyToLots(inst: Instrument, qty: number, field = 'quantity'): number {
    return inst.qty.toSteps(qty, field);
  }

  lotsToQty(inst: Instrument, lots: number): number {
    return inst.qty.fromSteps(lots);
  }
}
