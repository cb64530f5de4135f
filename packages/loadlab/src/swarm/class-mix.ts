/**
 * Which class the i-th spawned user belongs to. Classes with a `fixedCount` come first
 * (Locust's fixed_count, interleaved); then weights share the rest by smooth weighted
 * round-robin, so EVERY prefix of the sequence is as close to the weights as whole users
 * allow (3:1 gives A A B A, A A B A, ...), not only the total. The sequence is a pure
 * function of the index: users are retired newest first, and spawning again re-creates
 * the same classes.
 */

export interface MixClass {
  weight: number;
  fixedCount: number;
}

export class ClassMix {
  private readonly seq: number[] = [];
  private readonly current: number[];
  private readonly weighted: number[];
  private readonly totalWeight: number;

  constructor(private readonly classes: readonly MixClass[]) {
    const left = classes.map((c) => c.fixedCount);
    for (let more = true; more; ) {
      more = false;
      for (let c = 0; c < classes.length; c++) {
        if (left[c] > 0) {
          this.seq.push(c);
          left[c]--;
          more = true;
        }
      }
    }
    this.weighted = [];
    classes.forEach((c, i) => {
      if (c.fixedCount === 0 && c.weight > 0) this.weighted.push(i);
    });
    this.current = this.weighted.map(() => 0);
    this.totalWeight = this.weighted.reduce((s, i) => s + classes[i].weight, 0);
  }

  /** Users of fixed-count classes (spawned before any weighted class). */
  get fixedUsers(): number {
    return this.classes.reduce((s, c) => s + c.fixedCount, 0);
  }

  /** The class index of spawn number `i` (0-based); -1 when only fixed classes exist and all are placed. */
  classAt(i: number): number {
    while (this.seq.length <= i) {
      if (this.weighted.length === 0) return -1;
      this.seq.push(this.nextWeighted());
    }
    return this.seq[i];
  }

  private nextWeighted(): number {
    let best = 0;
    for (let k = 0; k < this.weighted.length; k++) {
      this.current[k] += this.classes[this.weighted[k]].weight;
      if (this.current[k] > this.current[best]) best = k;
    }
    this.current[best] -= this.totalWeight;
    return this.weighted[best];
  }
}
