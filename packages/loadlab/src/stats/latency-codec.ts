/**
 * Latency recorders and statistics snapshots as JSON: what crosses machines (the swarm's
 * master/worker link) and what `--json` reports carry so runs made anywhere can be merged.
 * The counters travel as a compressed base64 HdrHistogram (hdr-histogram-js's
 * `encodeIntoCompressedBase64`, the lab's layout), with the exact count, sum, min and max
 * beside it. Decoding gives back the same counters, so adding decoded recorders is exactly
 * one recorder fed every sample.
 */
import * as hdr from 'hdr-histogram-js';
import type { EncodedLatency, FailureRow } from '../model/result.ts';
import { createLatencyHistogram } from './histogram.ts';
import { packCounts, unpackCounts } from './packed-counts.ts';
import { hdrValueAt, LatencyRecorder, RECORDER_LENGTH, type SparseCounts } from './recorder.ts';
import type { EntrySnapshot, StatsSnapshot } from './request-stats.ts';

export interface EncodedEntry extends Omit<EntrySnapshot, 'latency'> {
  latency: EncodedLatency;
}

export interface EncodedStats {
  entries: EncodedEntry[];
  failures: FailureRow[];
}

interface CountsAccess {
  countsArrayLength: number;
  getCountAtIndex(i: number): number;
}

export function encodeSparse(s: SparseCounts): EncodedLatency {
  const h = createLatencyHistogram();
  for (let k = 0; k < s.idx.length; k++) h.recordValueWithCount(hdrValueAt(s.idx[k]), s.cnt[k]);
  try {
    return {
      hdr: hdr.encodeIntoCompressedBase64(h),
      count: s.count,
      sumUs: s.sumUs,
      minUs: s.count === 0 ? null : s.minUs,
      maxUs: s.maxUs,
    };
  } finally {
    h.destroy();
  }
}

export function encodeRecorder(rec: LatencyRecorder): EncodedLatency {
  return encodeSparse(rec.toSparse());
}

/**
 * The counters packed (./packed-counts.ts: a run worker's part so far, built every 2 s), not
 * as an HdrHistogram: about ten times cheaper to build; decodeSparse reads them the same.
 */
function packSparse(s: SparseCounts): EncodedLatency {
  const packed = packCounts(s);
  if (packed === undefined) return encodeSparse(s);
  return {
    hdr: '',
    packed,
    count: s.count,
    sumUs: s.sumUs,
    minUs: s.count === 0 ? null : s.minUs,
    maxUs: s.maxUs,
  };
}

export function packRecorder(rec: LatencyRecorder): EncodedLatency {
  return packSparse(rec.toSparse());
}

/** The counters of an encoded recorder (throws on a string that is not an HdrHistogram, or not packed counters). */
export function decodeSparse(e: EncodedLatency): SparseCounts {
  if (typeof e.packed === 'string') {
    const { idx, cnt } = unpackCounts(e.packed);
    return {
      idx,
      cnt,
      count: e.count,
      sumUs: e.sumUs,
      minUs: e.minUs ?? Number.POSITIVE_INFINITY,
      maxUs: e.maxUs,
    };
  }
  const decoded = hdr.decodeFromCompressedBase64(e.hdr, 64, false);
  const h = createLatencyHistogram();
  h.add(decoded);
  decoded.destroy();
  const c = h as unknown as CountsAccess;
  const idx: number[] = [];
  const cnt: number[] = [];
  const n = Math.min(c.countsArrayLength, RECORDER_LENGTH);
  for (let i = 0; i < n; i++) {
    const v = c.getCountAtIndex(i);
    if (v > 0) {
      idx.push(i);
      cnt.push(v);
    }
  }
  h.destroy();
  return {
    idx: Uint32Array.from(idx),
    cnt: Float64Array.from(cnt),
    count: e.count,
    sumUs: e.sumUs,
    minUs: e.minUs ?? Number.POSITIVE_INFINITY,
    maxUs: e.maxUs,
  };
}

export function decodeRecorder(e: EncodedLatency): LatencyRecorder {
  const rec = new LatencyRecorder();
  rec.addSparse(decodeSparse(e));
  return rec;
}

export function encodeStats(s: StatsSnapshot): EncodedStats {
  return {
    entries: s.entries.map((e) => ({ ...e, latency: encodeSparse(e.latency) })),
    failures: s.failures,
  };
}

export function decodeStats(s: EncodedStats): StatsSnapshot {
  return {
    entries: s.entries.map((e) => ({ ...e, latency: decodeSparse(e.latency) })),
    failures: s.failures,
  };
}
