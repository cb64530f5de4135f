import { seededRandom } from '@tickstorm/protocol';

/** Reproducible random test streams over the shared seeded PRNG (mulberry32). */
export class Rng {
  /** Uniform in [0, 1). */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Roughly normal (sum of uniforms), mean 0, standard deviation about `sd`. */
  normal(sd: number): number {
    return (this.next() + this.next() + this.next() + this.next() - 2) * sd * 1.732;
  }
}
