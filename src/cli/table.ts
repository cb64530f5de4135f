/** Renders rows as the guide's Markdown tables (| a | b |), padded so they read well in a terminal too. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => displayWidth(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c + ' '.repeat(Math.max(0, widths[i] - displayWidth(c)))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Emoji such as ✅ take two terminal columns. */
function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) > 0x2000 && /\p{Extended_Pictographic}/u.test(ch) ? 2 : 1;
  return w;
}

/** 38 ns, 1.2 us, 3.4 ms: the unit the guide's targets use. */
export function formatNs(ns: number): string {
  const fmt = (x: number) =>
    Number.isInteger(x) || x >= 100 ? String(Math.round(x)) : x.toFixed(x < 10 ? 2 : 1);
  if (ns < 1_000) return `${Math.round(ns)}ns`;
  if (ns < 1_000_000) return `${fmt(ns / 1_000)}μs`;
  return `${fmt(ns / 1_000_000)}ms`;
}

export function statusMark(pass: boolean | null): string {
  return pass === null ? '⏳' : pass ? '✅' : '❌';
}
