/**
 * The analysis figure of the usual pandas script (12 x 6 inches at 100 dpi = 1200 x 600 px): left,
 * the latency histogram with 50 equal-width bins over [min, max] (matplotlib's `hist`, black
 * edges); right, latency over time. Drawn as a Vega-Lite spec, rendered to SVG by Vega and to
 * PNG by resvg. The time panel keeps the min and max of each of 1,500 time buckets, so spikes
 * survive while millions of rows stay a few thousand points.
 */
import { writeFileSync } from 'node:fs';
import { renderSvg, svgToPng, type TopLevelSpec } from '../report/charts.ts';
import { nanMax, nanMin } from './quantile.ts';
import type { ResultsData } from './results-reader.ts';

/** matplotlib's first colour (C0). */
const C0 = '#1f77b4';
const PANEL = { width: 500, height: 470 };

export interface HistogramBin {
  start: number;
  end: number;
  count: number;
}

/** numpy.histogram(values, bins): equal-width bins over [min, max], the last bin closed. */
export function histogram(values: Float64Array, bins = 50): HistogramBin[] {
  let lo = nanMin(values);
  let hi = nanMax(values);
  if (Number.isNaN(lo)) return [];
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    let b = Math.floor((v - lo) / width);
    if (b >= bins) b = bins - 1;
    if (b < 0) b = 0;
    counts[b]++;
  }
  return Array.from(counts, (count, i) => ({ start: lo + i * width, end: lo + (i + 1) * width, count }));
}

/** Min/max per time bucket (in time order), so a line through them keeps every spike. */
export function decimateOverTime(
  t: Float64Array,
  y: Float64Array,
  buckets = 1500,
): { t: number; latency: number }[] {
  const tMin = nanMin(t);
  const tMax = nanMax(t);
  if (Number.isNaN(tMin)) return [];
  const span = tMax - tMin || 1;
  const minY = new Float64Array(buckets).fill(Number.NaN);
  const maxY = new Float64Array(buckets).fill(Number.NaN);
  const minT = new Float64Array(buckets);
  const maxT = new Float64Array(buckets);
  for (let i = 0; i < t.length; i++) {
    const ti = t[i];
    const yi = y[i];
    if (Number.isNaN(ti) || Number.isNaN(yi)) continue;
    const b = Math.min(buckets - 1, Math.floor(((ti - tMin) / span) * buckets));
    if (Number.isNaN(minY[b]) || yi < minY[b]) {
      minY[b] = yi;
      minT[b] = ti;
    }
    if (Number.isNaN(maxY[b]) || yi > maxY[b]) {
      maxY[b] = yi;
      maxT[b] = ti;
    }
  }
  const out: { t: number; latency: number }[] = [];
  for (let b = 0; b < buckets; b++) {
    if (Number.isNaN(minY[b])) continue;
    const first = minT[b] <= maxT[b];
    out.push({ t: (first ? minT[b] : maxT[b]) * 1000, latency: first ? minY[b] : maxY[b] });
    if (minT[b] !== maxT[b] || minY[b] !== maxY[b]) {
      out.push({ t: (first ? maxT[b] : minT[b]) * 1000, latency: first ? maxY[b] : minY[b] });
    }
  }
  return out;
}

export function analysisChartSpec(data: ResultsData): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    hconcat: [
      {
        ...PANEL,
        title: 'Latency Distribution',
        data: { values: histogram(data.latency, 50) },
        mark: { type: 'rect', color: C0, stroke: 'black', strokeWidth: 0.8 },
        encoding: {
          x: { field: 'start', type: 'quantitative', title: 'Latency (ms)', scale: { zero: false } },
          x2: { field: 'end' },
          y: { field: 'count', type: 'quantitative', title: 'Frequency' },
          y2: { datum: 0 },
        },
      },
      {
        ...PANEL,
        title: 'Latency Over Time',
        data: { values: decimateOverTime(data.timestamp, data.latency) },
        mark: { type: 'line', color: C0, strokeWidth: 1 },
        encoding: {
          x: { field: 't', type: 'temporal', title: 'Time', axis: { format: '%H:%M:%S' } },
          y: { field: 'latency', type: 'quantitative', title: 'Latency (ms)' },
        },
      },
    ],
    spacing: 60,
    padding: 20,
  } as TopLevelSpec;
}

/** Renders the two panels and writes the PNG; returns its size in bytes. */
export async function writeAnalysisPng(data: ResultsData, path: string): Promise<number> {
  const png = svgToPng(await renderSvg(analysisChartSpec(data)));
  writeFileSync(path, png);
  return png.length;
}
