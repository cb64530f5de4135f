/**
 * Read coalescing for the closed model: fewer wake-ups per response.
 *
 * A generator faster than its target wakes once per response. It is back in epoll before the
 * next response arrives, and every sleep and wake-up costs a few µs of kernel time, more than
 * the generator spends on the response itself. After a loop turn that read only a few
 * responses, the client sleeps a short while (`Atomics.wait` with a timeout: the thread
 * blocks, the event loop does not run), so the next turn finds several responses waiting
 * and reads them together. This is interrupt coalescing, done in user space.
 *
 * What it costs: a response that arrives during a nap is read up to the time slept later, and
 * its latency includes that wait. The sleep aimed at is bounded:
 * - at most latency / 8 (the smoothed latency of this client's responses);
 * - at most 100 µs.
 * The thread sleeps longer than it asks: Linux's timer slack (50 µs by default) plus the
 * wake-up, so a 10 µs nap sleeps about 80 µs and a 100 µs one about 170 µs. So the overshoot is
 * measured (smoothed) and taken off what is asked, down to a quarter of the aim: the sleep comes
 * nearer the aim, but stays longer than it when the aim is short or the machine busy. The time
 * slept is measured and reported, and taken out of the event-loop utilisation (monitor/health.ts).
 *
 * It is off unless asked for (`tickstorm http --read-coalescing`): it trades latency precision
 * for generator CPU, and under machine load it can cost both (docs/load-lab.md).
 *
 * It naps only where that pays:
 * - at least two more responses are expected during the nap (in flight × nap / latency ≥ 2);
 * - the turn read fewer than half of the requests in flight. A generator that is itself
 *   the bottleneck finds many responses waiting on each turn, and never naps.
 *
 * The open model never naps: there the requests are due at set times.
 */

import { noteSleepMs } from '../monitor/health.ts';
import { nowUs } from '../util/clock.ts';

/** Longest nap asked for, µs. */
export const MAX_NAP_US = 100;
/** Shorter naps are not worth a sleep and a wake-up. */
const MIN_NAP_US = 10;

/**
 * The nap to ask for, in µs, after a loop turn that read `turnReads` socket reads with
 * `inFlight` requests outstanding and a smoothed latency of `latencyUs`; 0 = no nap. The
 * sleep aimed at is min(100 µs, latency / 8); `overshootUs` (how much longer than asked naps
 * have slept) is taken off what is asked, down to a quarter of the aim.
 */
export function napAfterTurn(
  inFlight: number,
  turnReads: number,
  latencyUs: number,
  overshootUs = 0,
): number {
  if (!(latencyUs > 0) || turnReads * 2 >= inFlight) return 0;
  const aim = Math.min(MAX_NAP_US, latencyUs / 8);
  if (aim < MIN_NAP_US || (inFlight * aim) / latencyUs < 2) return 0;
  return Math.max(aim - overshootUs, aim / 4);
}

/** One per client: counts a turn's reads and naps once at the end of the turn (libuv's check phase). */
export class ReadCoalescer {
  /** Naps taken; the time they slept, measured (µs); the time they asked for (µs). */
  naps = 0;
  napUs = 0;
  askedUs = 0;
  private reads = 0;
  private latencyUs = 0;
  /** How much longer than asked a nap sleeps, µs (smoothed; Linux's default timer slack to start). */
  private overshootUs = 50;
  private seen = 0;
  private stopped = false;
  private scheduled = false;
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly inFlight: () => number) {}

  /** A socket read was handled (called from the read callback). */
  read(): void {
    this.reads++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.turnEnd);
    }
  }

  /** A response's latency, µs (smoothed over about 64 responses). */
  observe(latencyUs: number): void {
    // Seeded with the first response: smoothing up from 0 would make the first ~100 responses
    // look many times faster than they are, and nap where it does not pay.
    if (this.seen++ === 0) this.latencyUs = latencyUs;
    else this.latencyUs += (latencyUs - this.latencyUs) / 64;
  }

  /** No nap from now on (the client closed; a turn may still end after it). */
  stop(): void {
    this.stopped = true;
  }

  private readonly turnEnd = (): void => {
    this.scheduled = false;
    if (this.stopped) return;
    const nap = napAfterTurn(this.inFlight(), this.reads, this.latencyUs, this.overshootUs);
    this.reads = 0;
    if (nap === 0) return;
    // Nothing ever notifies the cell: this is a timed sleep of the thread. It sleeps longer than
    // asked (Linux timer slack, 50 µs by default, and the wake-up), so the time is measured.
    const t0 = nowUs();
    Atomics.wait(this.cell, 0, 0, nap / 1000);
    const slept = nowUs() - t0;
    this.naps++;
    this.askedUs += nap;
    this.napUs += slept;
    this.overshootUs += (Math.max(0, slept - nap) - this.overshootUs) / 16;
    noteSleepMs(slept / 1000);
  };
}
