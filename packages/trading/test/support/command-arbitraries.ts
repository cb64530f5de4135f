/**
 * fast-check arbitraries for matching-engine command sequences. Prices cluster around
 * 1,000 ticks (so orders collide and trade) with some far away (outside a 1,024-tick
 * ladder centred on the first price), over two books.
 */
import fc from 'fast-check';
import { OrderType } from '../../src/domain/enums.ts';

export type Command =
  | { k: 'limit' | 'stop'; book: number; side: number; price: number; qty: number; account: number }
  | { k: 'market'; book: number; side: number; qty: number; account: number }
  | { k: 'cancel'; pick: number }
  | { k: 'last'; book: number; price: number };

const book = fc.integer({ min: 0, max: 1 });
const side = fc.integer({ min: 0, max: 1 });
const account = fc.integer({ min: 0, max: 3 });
const qty = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 10 }) },
  fc.integer({ min: 1, max: 200 }),
);
export const priceArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 994, max: 1_006 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 5_000 }) },
);

export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ k: fc.constant('limit' as const), book, side, price: priceArb, qty, account }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('market' as const), book, side, qty, account }) },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constant('stop' as const), book, side, price: priceArb, qty, account }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('last' as const), book, price: priceArb }) },
);

export const commandsArb = (maxLength: number, minLength = 0): fc.Arbitrary<Command[]> =>
  fc.array(commandArb, { minLength, maxLength, size: 'max' });

/** Engine arguments of a submit command. */
export function submitArgs(c: Command): [number, number, number, number, number, number] | null {
  switch (c.k) {
    case 'limit':
      return [c.book, c.side, OrderType.LIMIT, c.price, c.qty, c.account];
    case 'stop':
      return [c.book, c.side, OrderType.STOP, c.price, c.qty, c.account];
    case 'market':
      return [c.book, c.side, OrderType.MARKET, 0, c.qty, c.account];
    default:
      return null;
  }
}
