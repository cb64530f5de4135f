/**
 * Account ids (strings on the wire) -> dense integer indices for the hot path. Index 0
 * is always DEFAULT_ACCOUNT (orders without an `account`). State kept per account in
 * typed arrays (the risk engine's) grows with `capacity`: owners subscribe with
 * `onGrow` and are told the new capacity before an index beyond the old one is handed
 * out. `maxAccounts` bounds the memory a client can make us spend by inventing ids:
 * past it `intern` returns -1, which RiskEngine.check answers with UNKNOWN_ACCOUNT. An account
 * is kept by its first accepted order only (`forgetNewest` after a check that placed nothing).
 */

export const DEFAULT_ACCOUNT = 'default';
export const DEFAULT_MAX_ACCOUNTS = 10_000;

export class AccountRegistry {
  /** Number of registered accounts; indices are 0..size-1. A plain field: read on the hot path. */
  size = 0;
  /** Capacity of per-account arrays sized from this registry; grows by doubling. */
  capacity: number;
  readonly maxAccounts: number;
  /** Keys on (auth/keys.ts): the accounts are the keys' and `intern` registers no new one. */
  closed = false;
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly growListeners: ((capacity: number) => void)[] = [];

  constructor(initialCapacity = 64, maxAccounts = DEFAULT_MAX_ACCOUNTS) {
    this.maxAccounts = Math.max(1, Math.floor(maxAccounts));
    this.capacity = Math.min(Math.max(1, Math.floor(initialCapacity)), this.maxAccounts);
    this.intern(DEFAULT_ACCOUNT);
  }

  /** Calls `fn(newCapacity)` whenever capacity grows. */
  onGrow(fn: (capacity: number) => void): void {
    this.growListeners.push(fn);
  }

  /** The index of `name`, registering it if new; -1 when the registry is full. */
  intern(name: string): number {
    const known = this.ids.get(name);
    if (known !== undefined) return known;
    if (this.size >= this.maxAccounts || this.closed) return -1;
    if (this.size >= this.capacity) {
      this.capacity = Math.min(this.capacity * 2, this.maxAccounts);
      for (const fn of this.growListeners) fn(this.capacity);
    }
    const index = this.size;
    this.ids.set(name, index);
    this.names.push(name);
    this.size = index + 1;
    return index;
  }

  /**
   * Takes back `index` when it is the account registered last (its first check placed nothing:
   * POST /check, or a refused order): its slot is handed out again. Registered by a mere check,
   * 10,000 checks of invented accounts filled the registry (every new account then refused
   * UNKNOWN_ACCOUNT until a restart), and the accounts, journalled by no order, were gone after one.
   */
  forgetNewest(index: number): void {
    if (index !== this.size - 1 || index === 0) return;
    const name = this.names.pop() as string;
    this.ids.delete(name);
    this.size = index;
  }

  /** The index of `name`, or -1 when it is not registered. */
  indexOf(name: string): number {
    return this.ids.get(name) ?? -1;
  }

  /** The id of `index`, or undefined. */
  nameOf(index: number): string | undefined {
    return this.names[index];
  }
}
