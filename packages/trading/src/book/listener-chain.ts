/**
 * One EngineListener made of several (./engine-types.ts): every engine event goes to each of
 * them, in order, allocating nothing.
 */
import type { EngineListener } from './engine-types.ts';

/** Forwards every engine event to several listeners, in order. */
export class ListenerChain implements EngineListener {
  constructor(private readonly targets: EngineListener[]) {}
  onTrade(b: number, m: number, t: number, p: number, q: number, s: number, ma: number, ta: number): void {
    for (let i = 0; i < this.targets.length; i++) this.targets[i].onTrade(b, m, t, p, q, s, ma, ta);
  }
  onOrderStatus(
    id: number,
    b: number,
    s: number,
    a: number,
    prev: number,
    st: number,
    r: number,
    f: number,
    rem: number,
    n: number,
  ): void {
    for (let i = 0; i < this.targets.length; i++)
      this.targets[i].onOrderStatus(id, b, s, a, prev, st, r, f, rem, n);
  }
}
