/**
 * mulberry32: a small, fast, seeded 32-bit PRNG returning uniforms in [0, 1). Benchmarks,
 * load scenarios and tests use it so that every run sees the same stream.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
