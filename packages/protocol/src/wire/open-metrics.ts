/**
 * Content negotiation for a `/metrics` endpoint: the Prometheus text format (0.0.4) by default,
 * OpenMetrics 1.0.0 when the scraper's `Accept` prefers it (Prometheus sends
 * `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`).
 * The exposition is written once, in the text format, and converted here, so every exporter
 * (prom-client's registry with hand-written families beside it, the load generator's own)
 * answers both the same way. prom-client's own OpenMetrics mode is set per registry, not per
 * request, and renames its counters in place when used, so it cannot serve both formats.
 *
 * The conversion, per the OpenMetrics 1.0 text format:
 * - a counter's family is named without `_total` (`# TYPE x counter`, samples `x_total`); a
 *   counter whose samples lack the suffix is typed `unknown`;
 * - a gauge named `*_info` whose every value is 1 (`nodejs_version_info`) is the info family;
 * - `untyped` is `unknown`; HELP escapes `"` too; no blank line; `# EOF` at the end.
 */

export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

interface MediaRange {
  type: string;
  version: string | undefined;
  q: number;
}

function mediaRanges(accept: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim());
    if (type === '') continue;
    let q = 1;
    let version: string | undefined;
    for (const p of params) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 0;
      else if (k === 'version') version = v;
    }
    out.push({ type: type.toLowerCase(), version, q });
  }
  return out;
}

/**
 * True when `accept` prefers OpenMetrics 1.0.0 (or OpenMetrics of no version) to the text
 * format: its q is above 0 and at least that of `text/plain` (and of `*\/*` when text/plain is
 * not listed). A missing header, `*\/*` or `text/plain` get the text format.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return false;
  const ranges = mediaRanges(accept);
  let om = 0;
  let text: number | undefined;
  let any = 0;
  for (const r of ranges) {
    if (r.type === 'application/openmetrics-text' && (r.version === undefined || r.version === '1.0.0')) {
      om = Math.max(om, r.q);
    } else if (r.type === 'text/plain' || r.type === 'text/*') text = Math.max(text ?? 0, r.q);
    else if (r.type === '*/*') any = Math.max(any, r.q);
  }
  return om > 0 && om >= (text ?? any);
}

/** The family a sample line belongs to, given the declared families. */
function sampleName(line: string): string {
  const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  return m === null ? '' : m[0];
}

interface Block {
  name: string;
  help: string | undefined;
  type: string | undefined;
  samples: string[];
}

/** OpenMetrics 1.0.0 from a Prometheus text format (0.0.4) exposition. */
export function toOpenMetrics(text: string): string {
  const blocks: Block[] = [];
  let cur: Block | undefined;
  const open = (name: string): Block => {
    if (cur?.name === name && cur.samples.length === 0) return cur;
    cur = { name, help: undefined, type: undefined, samples: [] };
    blocks.push(cur);
    return cur;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta !== null) {
      const b = cur?.name === meta[2] && cur.samples.length === 0 ? cur : open(meta[2]);
      if (meta[1] === 'HELP') b.help = meta[3] ?? '';
      else b.type = meta[3] ?? 'untyped';
      continue;
    }
    if (line.startsWith('#')) continue;
    if (cur === undefined || !belongs(sampleName(line), cur)) open(sampleName(line));
    cur!.samples.push(withSecondsTimestamp(line));
  }
  let out = '';
  for (const b of blocks) {
    let name = b.name;
    let type = b.type ?? 'unknown';
    if (type === 'untyped') type = 'unknown';
    if (type === 'counter') {
      if (name.endsWith('_total') && b.samples.every((s) => sampleName(s) === name)) {
        name = name.slice(0, -'_total'.length);
      } else if (!b.samples.every((s) => sampleName(s) === `${name}_total`)) type = 'unknown';
    } else if (type === 'gauge' && name.endsWith('_info') && b.samples.every((s) => /\s1$/.test(s))) {
      name = name.slice(0, -'_info'.length);
      type = 'info';
    }
    if (b.help !== undefined) out += `# HELP ${name} ${b.help.replace(/"/g, '\\"')}\n`;
    if (b.type !== undefined) out += `# TYPE ${name} ${type}\n`;
    for (const s of b.samples) out += `${s}\n`;
  }
  return `${out}# EOF\n`;
}

const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['', '_total'],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function belongs(sample: string, b: Block): boolean {
  return (SUFFIXES[b.type ?? ''] ?? ['']).some((s) => sample === `${b.name}${s}`);
}

/** A sample's timestamp is in milliseconds in the text format, in seconds in OpenMetrics. */
function withSecondsTimestamp(line: string): string {
  let i = sampleName(line).length;
  if (line[i] === '{') {
    // to the closing brace, past quoted label values (which may hold spaces, braces, \")
    let quoted = false;
    for (i++; i < line.length; i++) {
      const c = line[i];
      if (quoted && c === '\\') i++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && c === '}') break;
    }
    i++;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length !== 2 || !/^-?\d+$/.test(rest[1])) return line;
  return `${line.slice(0, i)} ${rest[0]} ${Number(rest[1]) / 1000}`;
}
