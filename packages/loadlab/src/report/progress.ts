/**
 * Live progress for `tickstorm run`. Call `tick(totals)` once a second: on a terminal it
 * rewrites one line in place (\r + erase to end of line); elsewhere (CI logs, pipes) it prints
 * a plain line every `everySec` seconds, so logs stay readable. `finish()` ends the line.
 */

export interface ProgressTotals {
  scenario: string;
  elapsedSec: number;
  /** Planned duration; omitted for open-ended runs. */
  durationSec?: number;
  requests: number;
  failures: number;
  /** Rate over the last second. */
  currentRps: number;
  /** Latency over the last second, ms. */
  p95Ms?: number;
  p99Ms?: number;
  /** Active users (closed model) or requests in flight (open model). */
  active?: number;
}

export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Overrides the stream's isTTY. */
  tty?: boolean;
  /** Plain-line interval when not a terminal (default 10 s). */
  everySec?: number;
  /** No progress line at all (`run -q`, k6's --quiet). */
  quiet?: boolean;
}

export interface Progress {
  tick(totals: ProgressTotals): void;
  finish(): void;
}

function clock(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function ms(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '-';
  return v < 1 ? `${(v * 1000).toFixed(0)}µs` : v < 100 ? `${v.toFixed(2)}ms` : `${Math.round(v)}ms`;
}

/** `[order-stress] 00:12/00:30  12,034 req  5 fail (0.04%)  1,002 req/s  p95 3.21ms  p99 6.02ms  50 active` */
export function formatProgressLine(t: ProgressTotals): string {
  const when =
    t.durationSec === undefined ? clock(t.elapsedSec) : `${clock(t.elapsedSec)}/${clock(t.durationSec)}`;
  const failPct = t.requests > 0 ? (t.failures / t.requests) * 100 : 0;
  const parts = [
    `[${t.scenario}] ${when}`,
    `${t.requests.toLocaleString('en-US')} req`,
    `${t.failures.toLocaleString('en-US')} fail (${failPct.toFixed(2)}%)`,
    `${Math.round(t.currentRps).toLocaleString('en-US')} req/s`,
    `p95 ${ms(t.p95Ms)}`,
    `p99 ${ms(t.p99Ms)}`,
  ];
  if (t.active !== undefined) parts.push(`${t.active} active`);
  return parts.join('  ');
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  if (opts.quiet === true) return { tick: () => undefined, finish: () => undefined };
  const stream = opts.stream ?? process.stderr;
  const tty = opts.tty ?? stream.isTTY === true;
  const every = Math.max(1, opts.everySec ?? 10);
  let lastPrinted = Number.NEGATIVE_INFINITY;
  let open = false;
  return {
    tick(totals) {
      const line = formatProgressLine(totals);
      if (tty) {
        const width = stream.columns ?? 0;
        stream.write(`\r${width > 1 && line.length >= width ? line.slice(0, width - 1) : line}\x1b[K`);
        open = true;
      } else if (totals.elapsedSec - lastPrinted >= every) {
        stream.write(`${line}\n`);
        lastPrinted = totals.elapsedSec;
      }
    },
    finish() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
