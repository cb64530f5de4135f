/** Markdown tables (`| a | b |`), padded so they also read well in a terminal. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c + ' '.repeat(Math.max(0, widths[i] - displayWidth(c)))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Emoji such as ✅ take two terminal columns. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += (ch.codePointAt(0) ?? 0) > 0x2000 && /\p{Extended_Pictographic}/u.test(ch) ? 2 : 1;
  return w;
}

/** ✅ pass, ❌ fail, ⏳ not measured (the Performance Targets tables' marks). */
export function statusMark(pass: boolean | null): string {
  return pass === null ? '⏳' : pass ? '✅' : '❌';
}
