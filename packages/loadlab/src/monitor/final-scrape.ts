/**
 * Who scrapes the generator's /metrics, for the final scrape at the end of a run
 * (prometheus-exporter.ts's close()). A scraper is told apart by its address and User-Agent:
 * a Prometheus (or each of an HA pair) is one, a person's `curl` meanwhile another, so the
 * curl neither shortens the wait (the interval is each scraper's own, not the gap between any
 * two requests) nor ends it (close() waits for every regular scraper's next scrape).
 *
 * A scraper is regular once seen twice, while its last scrape is at most 2 intervals + 1 s old
 * (two curls minutes ago are not). The wait is 1.5x the longest regular interval plus 1 s, at
 * most 30 s. At most MAX_SCRAPERS are remembered (the least recently seen is forgotten).
 */
import type { IncomingMessage } from 'node:http';

/** The final scrape's wait: 1.5x the scrape interval + 1 s, at most this. */
export const MAX_FINAL_SCRAPE_WAIT_MS = 30_000;
const MAX_SCRAPERS = 32;

interface Scraper {
  scrapes: number;
  lastMs: number;
  intervalMs: number;
}

export class Scrapers {
  /** Least recently seen first. */
  private readonly byKey = new Map<string, Scraper>();

  /** Counts a scrape; returns the scraper's key. */
  seen(req: IncomingMessage): string {
    const key = `${req.socket.remoteAddress ?? ''} ${req.headers['user-agent'] ?? ''}`;
    const now = performance.now();
    const s = this.byKey.get(key);
    this.byKey.delete(key);
    if (s === undefined) {
      if (this.byKey.size >= MAX_SCRAPERS) this.byKey.delete(this.byKey.keys().next().value as string);
      this.byKey.set(key, { scrapes: 1, lastMs: now, intervalMs: 0 });
    } else {
      s.intervalMs = now - s.lastMs;
      s.lastMs = now;
      s.scrapes++;
      this.byKey.set(key, s);
    }
    return key;
  }

  /** The scrapers scraping regularly now, by key, with their intervals (ms). */
  regular(): Map<string, number> {
    const now = performance.now();
    const out = new Map<string, number>();
    for (const [key, s] of this.byKey)
      if (s.scrapes >= 2 && now - s.lastMs <= 2 * s.intervalMs + 1000) out.set(key, s.intervalMs);
    return out;
  }

  /** How long to wait for the final scrape (ms; 0 when nothing scrapes regularly). */
  finalWaitMs(): number {
    let longest = -1;
    for (const ms of this.regular().values()) longest = Math.max(longest, ms);
    return longest < 0 ? 0 : Math.min(MAX_FINAL_SCRAPE_WAIT_MS, Math.ceil(1.5 * longest + 1000));
  }
}
