/**
 * The kill switch's halted accounts (POST /admin/accounts/:account/halt and /resume). With a
 * file (the system journals: `<dataDir>/halted-accounts.json`), every change is written
 * atomically before it is answered (temp file, fdatasync, rename, directory fsync), so a halt
 * survives a crash and a restart like an acknowledged order; a change the disk refuses is
 * undone and answered 503 TRD_ERR_JOURNAL_UNAVAILABLE. Without a file (no input log), memory only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { TradingError, TradingErrorCode } from '../errors.ts';
import { replaceFileDurably } from '../sequencing/durable-file.ts';

export class HaltedAccounts {
  private readonly set = new Set<string>();

  /** Loads `path` when it exists; a file that is not a halted-accounts file refuses the start (LOG_CORRUPT). */
  constructor(private readonly path?: string) {
    if (path === undefined || !existsSync(path)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw corrupt(path, (err as Error).message);
    }
    const list = (parsed as { halted?: unknown } | null)?.halted;
    if (!Array.isArray(list) || !list.every((a) => typeof a === 'string')) {
      throw corrupt(path, 'expected {"halted": [account, ...]}');
    }
    for (const a of list) this.set.add(a);
  }

  get size(): number {
    return this.set.size;
  }

  /** The halted accounts, in the order they were halted. */
  list(): string[] {
    return [...this.set];
  }

  has(account: string): boolean {
    return this.set.has(account);
  }

  add(account: string): void {
    if (this.set.has(account)) return;
    this.set.add(account);
    this.persist(() => this.set.delete(account));
  }

  /** True when the account was halted. */
  delete(account: string): boolean {
    if (!this.set.delete(account)) return false;
    this.persist(() => this.set.add(account));
    return true;
  }

  private persist(undo: () => void): void {
    if (this.path === undefined) return;
    try {
      replaceFileDurably(this.path, [Buffer.from(`${JSON.stringify({ halted: [...this.set] })}\n`)]);
    } catch (err) {
      undo();
      throw new TradingError(
        TradingErrorCode.JOURNAL_UNAVAILABLE,
        `cannot record the halted accounts in ${this.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
}

function corrupt(path: string, why: string): TradingError {
  return new TradingError(TradingErrorCode.LOG_CORRUPT, `${path}: not a halted-accounts file (${why})`);
}
