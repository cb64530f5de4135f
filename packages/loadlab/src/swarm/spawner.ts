/**
 * One test's spawn schedule: moves the user count toward the target at the spawn rate
 * (user k of a ramp is due k / rate seconds in, the first at once), placing each new user's
 * class by ClassMix and its host on the least-loaded live host (ties in round-robin order, so
 * a ramp from 0 spreads evenly, ±1), and, when the target drops, retiring users of the newest
 * user's class from the fullest host (the newest user itself when its host is among the
 * fullest, as it is after a ramp from 0). A host that goes away (dropHost) takes its users with it; a retarget spawns users of
 * the same classes again on the other hosts. A host that joins (addHost, a worker joining a
 * running test) gets the next new users; `rebalance` moves users to it at once. Tracks users
 * per class and per host now, and per class at peak. `onSettled` fires when the count
 * reaches the target (or no class can take more users).
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
  /** Users on each host (by index in `hosts`). */
  readonly perHost: number[];
  /** Users on each host by class. */
  private readonly perHostClass: number[][];
  private readonly classCount: number;
  private nextUserId = 0;
  /** Classes of users lost with a host, spawned again (on the other hosts) before new ones. */
  private readonly lost: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private base = 0;
  private from = 0;

  constructor(
    private readonly mix: ClassMix,
    /** Shared with the swarm; `addHost` appends to it. */
    private readonly hosts: UserHost[],
    classCount: number,
    private readonly host: () => string,
    private readonly onSettled: () => void,
  ) {
    this.counts = new Array(classCount).fill(0);
    this.peak = new Array(classCount).fill(0);
    this.perHost = new Array(hosts.length).fill(0);
    this.classCount = classCount;
    this.perHostClass = hosts.map(() => new Array(classCount).fill(0));
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
    this.perHost.fill(0);
    for (const c of this.perHostClass) c.fill(0);
  }

  /** A host that joined the test: new users go to it first (it is the least loaded). */
  addHost(host: UserHost): void {
    if (!this.hosts.includes(host)) this.hosts.push(host);
    while (this.perHost.length < this.hosts.length) {
      this.perHost.push(0);
      this.perHostClass.push(new Array(this.classCount).fill(0));
    }
  }

  /**
   * Evens the live hosts out at once (Locust's --enable-rebalancing): the newest users of the
   * fullest hosts move to the emptiest ones (retired there, spawned here with their classes
   * and fresh user ids) until no two live hosts differ by more than 1; the fullest keep the
   * odd users, so the fewest move. The total and the users per class are unchanged. Returns
   * how many users moved. One pass over the users, whatever their number.
   */
  rebalance(): number {
    const live = this.hosts.flatMap((h, i) => (h.gone === true ? [] : [i]));
    if (live.length < 2) return 0;
    // the fullest hosts keep the odd users, so the fewest move
    live.sort((a, b) => this.perHost[b] - this.perHost[a] || a - b);
    const total = live.reduce((n, h) => n + this.perHost[h], 0);
    const base = Math.floor(total / live.length);
    const surplus = new Map<number, number>();
    live.forEach((h, rank) => {
      surplus.set(h, this.perHost[h] - base - (rank < total % live.length ? 1 : 0));
    });
    // one pass from the newest: the users the fuller hosts give up
    const moving: number[] = [];
    for (let j = this.active.length - 1; j >= 0; j--) {
      const [h, cls] = this.active[j];
      const more = surplus.get(h) ?? 0;
      if (more <= 0) continue;
      surplus.set(h, more - 1);
      this.hosts[h].retire(cls);
      this.perHost[h]--;
      this.perHostClass[h][cls]--;
      moving.push(cls);
      this.active[j][0] = -1;
    }
    if (moving.length === 0) return 0;
    let kept = 0;
    for (const a of this.active) if (a[0] >= 0) this.active[kept++] = a;
    this.active.length = kept;
    // oldest first, each to the host that lacks the most
    for (const cls of moving.reverse()) {
      let to = -1;
      for (const h of live) if (to < 0 || (surplus.get(h) ?? 0) < (surplus.get(to) ?? 0)) to = h;
      surplus.set(to, (surplus.get(to) ?? 0) + 1);
      this.hosts[to].spawn(cls, this.nextUserId++, this.host());
      this.active.push([to, cls]);
      this.perHost[to]++;
      this.perHostClass[to][cls]++;
    }
    return moving.length;
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
    if (h >= 0) {
      this.perHost[h] = 0;
      this.perHostClass[h].fill(0);
    }
    return lost;
  }

  /**
   * A user of class `cls` on `host` stopped itself (StopUser): it leaves the counts. Its class
   * is spawned again first when the count next moves up (a ramp still running goes on at the
   * spawn rate: the stopped user's place is taken no faster), not while the count holds, as in
   * Locust. False when no such user is counted (the test is stopping).
   */
  userStopped(host: UserHost, cls: number): boolean {
    const h = this.hosts.indexOf(host);
    if (h < 0 || this.perHostClass[h][cls] === undefined || this.perHostClass[h][cls] <= 0) return false;
    let j = this.active.length - 1;
    while (j >= 0 && (this.active[j][0] !== h || this.active[j][1] !== cls)) j--;
    if (j < 0) return false;
    this.active.splice(j, 1);
    this.perHost[h]--;
    this.perHostClass[h][cls]--;
    this.counts[cls]--;
    this.lost.push(cls);
    this.from = Math.max(0, this.from - 1);
    return true;
  }

  /**
   * Spawn number i goes to the live host with the fewest users; ties go to the first from
   * host i mod N on (round-robin, so a ramp from 0 spreads evenly). -1: none left.
   */
  private hostFor(i: number): number {
    const n = this.hosts.length;
    let best = -1;
    for (let k = 0; k < n; k++) {
      const h = (i + k) % n;
      if (this.hosts[h].gone === true) continue;
      if (best < 0 || this.perHost[h] < this.perHost[best]) best = h;
    }
    return best;
  }

  /**
   * Retires one user of the newest user's class (so the classes keep ClassMix's order) from the
   * fullest live host that runs one: the newest user itself when its host is among the fullest
   * (always, after a ramp from 0); otherwise the newest such user on that host, whose place in
   * `active` the newest user takes.
   */
  private retireOne(): void {
    const last = this.active.length - 1;
    const [h0, cls] = this.active[last];
    let hf = h0;
    for (let h = 0; h < this.hosts.length; h++) {
      if (this.hosts[h].gone !== true && this.perHostClass[h][cls] > 0 && this.perHost[h] > this.perHost[hf])
        hf = h;
    }
    let j = last;
    if (hf !== h0) {
      j = last - 1;
      while (this.active[j][0] !== hf || this.active[j][1] !== cls) j--;
      this.active[j] = this.active[last];
    }
    this.active.pop();
    this.hosts[hf].retire(cls);
    this.perHost[hf]--;
    this.perHostClass[hf][cls]--;
    this.counts[cls]--;
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
        this.perHost[h]++;
        this.perHostClass[h][cls]++;
        this.counts[cls]++;
        if (this.counts[cls] > this.peak[cls]) this.peak[cls] = this.counts[cls];
      }
    } else if (have > target) {
      const want = Math.max(target, this.from - due, have - MAX_PER_TICK);
      while (this.active.length > want) this.retireOne();
    }
    if (this.active.length === target || this.mix.classAt(this.active.length) < 0) {
      clearInterval(this.timer);
      this.onSettled();
    }
  }
}
