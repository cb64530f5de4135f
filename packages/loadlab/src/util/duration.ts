/**
 * k6-style duration strings: '500ms', '10s', '5m', '1h', compounds like '1m30s', and
 * '250us'. A bare number is seconds (the CLI's `-d 10`). Returns milliseconds, or NaN when
 * the text is not a duration.
 */
const PART = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/gy;
const UNIT_MS: Record<string, number> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * 1000 : Number.NaN;
  const s = text.trim();
  if (s === '') return Number.NaN;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  PART.lastIndex = 0;
  let ms = 0;
  let at = 0;
  for (let m = PART.exec(s); m !== null; m = PART.exec(s)) {
    ms += Number(m[1]) * UNIT_MS[m[2]];
    at = PART.lastIndex;
  }
  return at === s.length && at > 0 ? ms : Number.NaN;
}

/** True when `text` parses as a duration. */
export function isDuration(text: unknown): boolean {
  return (typeof text === 'string' || typeof text === 'number') && !Number.isNaN(parseDuration(text));
}

/** Formats milliseconds compactly for messages: 1500 -> '1.5s', 0.25 -> '250us'. */
export function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)}us`;
  if (ms < 1000) return `${+ms.toFixed(2)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}
