/**
 * k6's `textSummary(data, { indent, enableColors })` (jslib's k6-summary): handleSummary()'s
 * data rendered as k6's end-of-test text, so `return { stdout: textSummary(data) }` ports.
 *
 *   import { textSummary } from 'tickstorm';   // or the jslib URL, resolved to this file
 *   export function handleSummary(data) {
 *     return { stdout: textSummary(data, { indent: ' ', enableColors: true }), 'summary.json': JSON.stringify(data) };
 *   }
 *
 * Checks first (✓ / ✗ with the pass share), then every metric sorted by name, a tagged
 * sub-metric (`http_req_duration{name:/x}`) under its metric, ✓ / ✗ before a metric with
 * thresholds. Time trends in ms, µs or s as they fit (or options.summaryTimeUnit), data in
 * B / kB / MB, colours (ANSI) unless enableColors is false.
 */
import { type TreeGroup, treeLines } from './check-tree.ts';

interface Metric {
  type: string;
  contains?: string;
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
}

type Check = { name: string; passes: number; fails: number };

interface Data {
  metrics?: Record<string, Metric>;
  root_group?: TreeGroup<Check>;
  options?: { summaryTrendStats?: string[]; summaryTimeUnit?: string | null };
}

export interface TextSummaryOptions {
  indent?: string;
  enableColors?: boolean;
  summaryTimeUnit?: string | null;
  summaryTrendStats?: string[] | null;
}

const round = (v: number, d: number) => {
  const f = 10 ** d;
  return String(Math.round(v * f) / f);
};

function duration(ms: number, unit: string | null | undefined): string {
  if (unit === 's') return `${round(ms / 1000, 2)}s`;
  if (unit === 'ms') return `${round(ms, 2)}ms`;
  if (unit === 'us') return `${round(ms * 1000, 2)}µs`;
  if (ms === 0) return '0s';
  if (ms < 1) return `${round(ms * 1000, 2)}µs`;
  if (ms < 1000) return `${round(ms, 2)}ms`;
  if (ms < 60_000) return `${round(ms / 1000, 2)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${round((ms - m * 60_000) / 1000, 2)}s`;
}

/** Bytes as k6 shows them: B, kB, MB (powers of 1000). */
export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i === 0 ? round(n, 0) : round(n, 1)} ${units[i]}`;
}

export function textSummary(data: unknown, opts: TextSummaryOptions = {}): string {
  const d = (data ?? {}) as Data;
  const indent = opts.indent ?? ' ';
  const colors = opts.enableColors ?? true;
  const paint = (code: number, s: string) => (colors ? `\x1b[${code}m${s}\x1b[0m` : s);
  const green = (s: string) => paint(32, s);
  const red = (s: string) => paint(31, s);
  const cyan = (s: string) => paint(36, s);
  const faint = (s: string) => paint(2, s);
  const stats = opts.summaryTrendStats ??
    d.options?.summaryTrendStats ?? ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)'];
  const unit = opts.summaryTimeUnit ?? d.options?.summaryTimeUnit ?? '';
  const lines: string[] = [];

  // as k6's: the top's checks, then each group (`█ NAME`) with its checks and groups indented
  if (d.root_group !== undefined) {
    const at = (depth: number) => `${indent}${'  '.repeat(depth)}`;
    const check = (c: Check, depth: number) => {
      if (c.fails === 0) return [`${at(depth)}  ${green(`✓ ${c.name}`)}`];
      const pct = Math.floor((c.passes / (c.passes + c.fails)) * 100);
      return [
        `${at(depth)}  ${red(`✗ ${c.name}`)}`,
        `${at(depth)}   ${red(`↳  ${pct}% — ✓ ${c.passes} / ✗ ${c.fails}`)}`,
      ];
    };
    lines.push(...treeLines(d.root_group, check, (name, depth) => `${at(depth)}  █ ${name}`));
  }

  const metrics = d.metrics ?? {};
  const base = (n: string) => n.replace(/\{.*$/, '');
  const names = Object.keys(metrics).sort((a, b) =>
    base(a) === base(b) ? a.length - b.length || a.localeCompare(b) : base(a).localeCompare(base(b)),
  );
  const label = (n: string) => (n.includes('{') ? `  { ${n.slice(n.indexOf('{') + 1, -1)} }` : n);
  const width = Math.max(0, ...names.map((n) => label(n).length)) + 3;
  for (const name of names) {
    const m = metrics[name];
    const ths = Object.values(m.thresholds ?? {});
    const mark = ths.length === 0 ? ' ' : ths.every((t) => t.ok) ? green('✓') : red('✗');
    const v = m.values ?? {};
    let value: string;
    if (m.type === 'trend') {
      const fmt = (s: string, x: number) =>
        s === 'count' ? String(x) : m.contains === 'time' ? duration(x, unit) : round(x, 6);
      value = stats
        .filter((s) => v[s] !== undefined)
        .map((s) => `${s}=${cyan(fmt(s, v[s]))}`)
        .join(' ');
    } else if (m.type === 'rate')
      value = `${cyan(`${((v.rate ?? 0) * 100).toFixed(2)}%`)} ${green(`✓ ${v.passes ?? 0}`)} ${red(`✗ ${v.fails ?? 0}`)}`;
    else if (m.type === 'gauge')
      value = `${cyan(round(v.value ?? 0, 6))} min=${cyan(round(v.min ?? 0, 6))} max=${cyan(round(v.max ?? 0, 6))}`;
    else if (m.contains === 'data') value = `${cyan(bytes(v.count ?? 0))} ${cyan(`${bytes(v.rate ?? 0)}/s`)}`;
    else value = `${cyan(String(v.count ?? 0))} ${cyan(`${round(v.rate ?? 0, 6)}/s`)}`;
    lines.push(
      `${indent}${mark} ${label(name)}${faint('.'.repeat(Math.max(1, width - label(name).length)))}: ${value}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
