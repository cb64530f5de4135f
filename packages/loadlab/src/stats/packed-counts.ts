/**
 * A recorder's counters packed for a run worker's part so far (swarm/run-remote.ts): every
 * 2 s on the generator's event loop, where building a compressed HdrHistogram per request name
 * and per Trend costs about 0.5 ms each (0.3 ms to record 2,000 buckets into one, 0.25 ms to
 * encode it). Packed, the counters are base64 of unsigned LEB128 varints: the number of
 * buckets, then each bucket's index (the first as is, the next as the step from the previous)
 * and its count. `EncodedLatency.packed` carries them (its `hdr` then ''); decodeSparse reads
 * either, so a master merges a packed part as it merges an encoded report.
 */
import { RECORDER_LENGTH, type SparseCounts } from './recorder.ts';

/** The counters as packed text, or undefined when a count is no whole number (then encode them). */
export function packCounts(s: SparseCounts): string | undefined {
  const out = new Uint8Array(10 * (1 + 2 * s.idx.length));
  let at = 0;
  const put = (n: number) => {
    while (n >= 128) {
      out[at++] = (n % 128) + 128;
      n = Math.floor(n / 128);
    }
    out[at++] = n;
  };
  put(s.idx.length);
  let prev = 0;
  for (let k = 0; k < s.idx.length; k++) {
    const c = s.cnt[k];
    if (!Number.isSafeInteger(c) || c < 0) return undefined;
    put(s.idx[k] - prev);
    put(c);
    prev = s.idx[k];
  }
  return Buffer.from(out.buffer, 0, at).toString('base64');
}

/** The bucket indexes and counts of packed text (throws on text that is not packed counters). */
export function unpackCounts(text: string): { idx: Uint32Array; cnt: Float64Array } {
  const b = Buffer.from(text, 'base64');
  let at = 0;
  const get = () => {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (at >= b.length || scale > 2 ** 56) throw new Error('packed counters cut short');
      const x = b[at++];
      n += (x % 128) * scale;
      if (x < 128) return n;
      scale *= 128;
    }
  };
  const n = get();
  if (n > RECORDER_LENGTH) throw new Error(`packed counters: ${n} buckets`);
  const idx = new Uint32Array(n);
  const cnt = new Float64Array(n);
  let prev = 0;
  for (let k = 0; k < n; k++) {
    const i = prev + get();
    if (i >= RECORDER_LENGTH || (k > 0 && i <= prev)) throw new Error(`packed counters: bucket ${i}`);
    idx[k] = i;
    cnt[k] = get();
    prev = i;
  }
  if (at !== b.length) throw new Error('packed counters: trailing bytes');
  return { idx, cnt };
}
