/**
 * Structured logs (pino): one JSON object per line on stderr, with `level` (a name: info,
 * warn, ...), `time` (epoch ms), `pid`,
 * `msg` and fields; `tickstorm serve` writes one line per start, stop and error. stdout
 * keeps the command's own human output (the service URLs and the pid line that
 * `tickstorm start` and scripts read). On a terminal the same records are printed as
 * short human-readable lines instead (`HH:MM:SS.mmm LEVEL msg key=value ...`).
 */
import pino, { type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(x: unknown): x is LogLevel {
  return typeof x === 'string' && (LOG_LEVELS as readonly string[]).includes(x);
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** One JSON log line as a human-readable line (the terminal format). */
export function formatLogLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json);
  } catch {
    return json;
  }
  const { level, time, msg, pid: _pid, hostname: _h, err, ...rest } = rec;
  const t = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 23);
  const lv = (LEVEL_NAMES[level as number] ?? String(level).toUpperCase()).padEnd(5);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const e = err as { stack?: string; message?: string } | undefined;
  const tail = e === undefined ? '' : `\n${e.stack ?? e.message ?? ''}`;
  return `${t} ${lv} ${String(msg ?? '')}${fields === '' ? '' : ` ${fields}`}${tail}\n`;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go (default: stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Human-readable lines instead of JSON (default: when `stream` is a terminal). */
  pretty?: boolean;
  /** Fields on every line (e.g. the service). */
  base?: Record<string, unknown>;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const out = o.stream ?? process.stderr;
  const pretty = o.pretty ?? out.isTTY === true;
  const dest = pretty
    ? { write: (line: string) => out.write(formatLogLine(line)) }
    : out === process.stderr
      ? pino.destination({ dest: 2, sync: true })
      : { write: (line: string) => out.write(line) };
  return pino(
    {
      level: o.level ?? 'info',
      base: { pid: process.pid, ...o.base },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    dest,
  );
}
