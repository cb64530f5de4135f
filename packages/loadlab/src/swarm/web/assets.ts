/**
 * The web UI's files, read once at startup: the page template, its script and style sheet
 * (next to this file), its icon, and uPlot's JS and CSS from node_modules, so the UI works offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LabError, LabErrorCode } from '../../errors.ts';

export interface Asset {
  type: string;
  body: Buffer;
}

export interface WebAssets {
  /** page.html with `{{key}}` placeholders. */
  page: string;
  /** URL path -> file. */
  files: Map<string, Asset>;
}

const here = (name: string) => new URL(name, import.meta.url);

export function loadAssets(): WebAssets {
  const require = createRequire(import.meta.url);
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  const icon: Asset = { type: 'image/svg+xml', body: readFileSync(here('favicon.svg')) };
  const files = new Map<string, Asset>([
    ['/assets/app.js', { type: js, body: readFileSync(here('app.js')) }],
    ['/assets/style.css', { type: css, body: readFileSync(here('style.css')) }],
    ['/assets/favicon.svg', icon],
    // what a browser asks for by itself (a page without it logs a 404 in the console)
    ['/favicon.ico', icon],
    [
      '/assets/uPlot.min.js',
      { type: js, body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')) },
    ],
    ['/assets/uPlot.min.css', { type: css, body: readFileSync(require.resolve('uplot/dist/uPlot.min.css')) }],
  ]);
  return { page: readFileSync(here('page.html'), 'utf8'), files };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Fills `{{key}}` placeholders (HTML-escaped); an unknown key is a programming error. */
export function fillTemplate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => {
    if (!Object.hasOwn(values, key))
      throw new LabError(LabErrorCode.INTERNAL, `page template: no value for {{${key}}}`);
    return escapeHtml(String(values[key]));
  });
}
