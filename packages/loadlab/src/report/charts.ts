/**
 * Charts: Vega-Lite specs compiled and rendered server-side by Vega to SVG (View.toSVG needs no
 * canvas), and SVG to PNG through resvg (Rust, prebuilt binaries) with the system's fonts.
 * Vega, Vega-Lite and resvg are loaded on the first chart, not with the package: together
 * they are over a thousand modules, and most commands (serve, swarm, a flag error) draw none.
 */
import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';

export type { TopLevelSpec };

const requireCjs = createRequire(import.meta.url);

/** Colours used across the reports (Vega's category10, so charts and tables agree). */
export const COLORS = {
  blue: '#4c78a8',
  orange: '#f58518',
  red: '#e45756',
  teal: '#72b7b2',
  green: '#54a24b',
  yellow: '#eeca3b',
  purple: '#b279a2',
  grey: '#9d9da0',
} as const;

const FONT = 'DejaVu Sans, Verdana, sans-serif';

/** Shared look: readable fonts, no chart border, white background. */
export const BASE_CONFIG = {
  background: 'white',
  font: FONT,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6' },
  title: { fontSize: 14, anchor: 'start' as const },
  legend: { labelFontSize: 11, titleFontSize: 11 },
};

/** Renders a Vega-Lite spec to an SVG document (a string starting with `<svg`). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, config: { ...BASE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = compile(withConfig).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Scale factor (2 = twice the SVG's pixel size). */
  scale?: number;
  background?: string;
}

/** An SVG document to PNG bytes, fonts from the system (DejaVu Sans for sans-serif). */
export function svgToPng(svg: string, opts: PngOptions = {}): Buffer {
  const { Resvg } = requireCjs('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    background: opts.background ?? 'white',
    fitTo: { mode: 'zoom', value: opts.scale ?? 1 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
