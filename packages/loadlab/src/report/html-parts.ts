/** Small HTML building blocks for the report: escaping, tables, SVG inlining, the stylesheet. */

export function esc(s: string | number): string {
  return String(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export type Cell = string | number | { html: string; cls?: string };

export function table(headers: readonly string[], rows: readonly (readonly Cell[])[], cls = ''): string {
  const cell = (c: Cell) =>
    typeof c === 'object' ? `<td${c.cls ? ` class="${c.cls}"` : ''}>${c.html}</td>` : `<td>${esc(c)}</td>`;
  return [
    `<table${cls ? ` class="${cls}"` : ''}>`,
    `<thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>`,
    '<tbody>',
    ...rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

export function status(pass: boolean | null): Cell {
  if (pass === null) return { html: '⏳ not measured', cls: 'na' };
  return pass ? { html: '✅ pass', cls: 'pass' } : { html: '❌ fail', cls: 'fail' };
}

let chartSeq = 0;

/**
 * Vega's SVG as an inline element. Each chart's ids (clip paths, gradients) get a unique prefix,
 * since ids must be unique across the whole HTML document.
 */
export function inlineSvg(svg: string, label: string): string {
  const prefix = `c${++chartSeq}-`;
  const body = svg
    .replace(/<\?xml[^>]*>\s*/, '')
    .replace(/\sid="([^"]+)"/g, ` id="${prefix}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`)
    .replace(/^<svg /, `<svg role="img" aria-label="${esc(label)}" `);
  return `<figure class="chart">${body}</figure>`;
}

export const STYLE = `
body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 24px auto; max-width: 1180px; color: #222; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 20px; margin-top: 36px; border-bottom: 2px solid #ddd; }
h3 { font-size: 16px; margin-top: 22px; }
.meta { color: #555; margin: 0 0 12px; }
.verdict { display: inline-block; padding: 4px 10px; border-radius: 4px; font-weight: bold; color: white; }
.verdict.ok { background: #54a24b; } .verdict.bad { background: #e45756; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.pass { color: #2e7d32; } td.fail { color: #c62828; font-weight: bold; } td.na { color: #888; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 18px; } .card span { color: #666; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } figure.chart { margin: 0; }
.warn { color: #b26a00; }
`;
