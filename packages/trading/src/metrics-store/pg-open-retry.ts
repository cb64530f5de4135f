/**
 * Opening a PostgreSQL metrics store again and again while its server cannot be reached (the
 * store was opened with `unreachableAtOpen: 'retry'`, as `serve` does): each attempt does what
 * open does (table, rights, warnings: `attempt`), the delay between attempts doubles from
 * `baseMs` to `maxMs` (+-20% jitter). The first success ends it (`onOpen`); so does a refusal
 * that no retry can fix (`onRefused`: a wrong password, a missing database, a role without
 * rights); a connection-level failure schedules the next attempt (`onRetry`). After `stop()`
 * no callback is called.
 */

/** The wait before retry number `attempt` (0-based): `baseMs` doubling to `maxMs`, +-20% jitter. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  const base = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}

export interface PgOpenRetryHooks {
  /** One open: resolves when the store is ready to write. */
  attempt(): Promise<void>;
  /** Whether a failed attempt is worth another (the server may come back). */
  retryable(err: unknown): boolean;
  onRetry(err: unknown): void;
  onOpen(): void;
  onRefused(err: unknown): void;
  readonly baseMs: number;
  readonly maxMs: number;
}

export class PgOpenRetry {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private attempts = 0;

  constructor(private readonly h: PgOpenRetryHooks) {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.run();
      },
      retryDelayMs(this.attempts++, this.h.baseMs, this.h.maxMs),
    );
  }

  private async run(): Promise<void> {
    try {
      await this.h.attempt();
    } catch (err) {
      if (this.stopped) return;
      if (this.h.retryable(err)) {
        this.h.onRetry(err);
        this.schedule();
      } else this.h.onRefused(err);
      return;
    }
    if (!this.stopped) this.h.onOpen();
  }
}
