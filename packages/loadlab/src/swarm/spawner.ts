/**
 * One test's spawn schedule: moves the user count toward the target at the spawn rate
 * (user k of a ramp is due k / rate seconds in, the first at once), placing each new user's
 * class by ClassMix and its thread round-robin, and retiring the newest users first when the
 * target drops. A host that goes away (dropHost) takes its users with it; a retarget spawns
 * users of the same classes again on the other hosts. Tracks users per class now and at
 * peak. `onSettled` fires when the count reaches the target (or no class can take more users).
 */
import type { ClassMix } from './class-mix.ts';
import type { UserHost } from './user-host.ts';

const TICK_MS = 50;
/** Users started (or stopped) in one tick at most, so a huge rate cannot block the loop. */
const MAX_PER_TICK = 5_000;

export class Spawner {
  targetUsers = 0;
  spawnRate = 1;
  /** Spawned users, oldest first: [host index, class index]. */
  private readonly active: [number, number][] = [];
  readonly counts: number[];
  readonly peak: number[];
  private nextUserId = 0;
  /** Classes of users lost with a host, spawned again (on the other hosts) before new ones. */
  private readonly lost: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private base = 0;
  private from = 0;

  constructor(
    private readonly mix: ClassMix,
    private readonly hosts: readonly UserHost[],
    classCount: number,
    private readonly host: () => string,
    private readonly onSettled: () => void,
  ) {
    this.counts = new Array(classCount).fill(0);
    this.peak = new Array(classCount).fill(0);
  }

  get users(): number {
    return this.active.length;
  }

  retarget(users: number, spawnRate: number): void {
    this.targetUsers = users;
    this.spawnRate = spawnRate;
    this.from = this.active.length;
    this.base = performance.now();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.adjust(), TICK_MS);
    this.adjust();
  }

  /** Stops scheduling and forgets the users (their hosts stop them). */
  clear(): void {
    clearInterval(this.timer);
    this.active.length = 0;
    this.lost.length = 0;
    this.counts.fill(0);
  }

  /** A host that went away (a missing worker): its users leave the counts; no user is sent there again. */
  dropHost(host: UserHost): number {
    const h = this.hosts.indexOf(host);
    let lost = 0;
    for (let i = this.active.length - 1; i >= 0; i--) {
      if (this.active[i][0] !== h) continue;
      this.counts[this.active[i][1]]--;
      this.lost.push(this.active[i][1]);
      this.active.splice(i, 1);
      lost++;
    }
    return lost;
  }

  /** Spawn number i goes to host i mod N, or the next one that is not gone (-1: none left). */
  private hostFor(i: number): number {
    const n = this.hosts.length;
    for (let k = 0; k < n; k++) {
      const h = (i + k) % n;
      if (this.hosts[h].gone !== true) return h;
    }
    return -1;
  }

  private adjust(): void {
    const target = this.targetUsers;
    const due = Math.floor(((performance.now() - this.base) / 1000) * this.spawnRate) + 1;
    const have = this.active.length;
    if (have < target) {
      const want = Math.min(target, this.from + due, have + MAX_PER_TICK);
      for (let i = have; i < want; i++) {
        const h = this.hostFor(i);
        if (h < 0) break;
        const cls = this.lost.length > 0 ? this.lost.pop()! : this.mix.classAt(i);
        if (cls < 0) break;
        this.hosts[h].spawn(cls, this.nextUserId++, this.host());
        this.active.push([h, cls]);
        this.counts[cls]++;
        if (this.counts[cls] > this.peak[cls]) this.peak[cls] = this.counts[cls];
      }
    } else if (have > target) {
      const want = Math.max(target, this.from - due, have - MAX_PER_TICK);
      while (this.active.length > want) {
        const [h, cls] = this.active.pop()!;
        this.hosts[h].retire(cls);
        this.counts[cls]--;
      }
    }
    if (this.active.length === target || this.mix.classAt(this.active.length) < 0) {
      clearInterval(this.timer);
      this.onSettled();
    }
  }
}
