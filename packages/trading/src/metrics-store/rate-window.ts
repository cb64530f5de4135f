/**
 * Rows and events per second over the last `windowSec` seconds: one bucket per second in
 * preallocated arrays (no allocation per add). A window not yet full counts as full, so the
 * first seconds under-report rather than spike.
 */
export class RateWindow {
  readonly windowSec: number;
  private readonly sec: Float64Array;
  private readonly rows: Float64Array;
  private readonly events: Float64Array;

  constructor(windowSec: number) {
    this.windowSec = Math.max(1, Math.floor(windowSec));
    this.sec = new Float64Array(this.windowSec).fill(-1);
    this.rows = new Float64Array(this.windowSec);
    this.events = new Float64Array(this.windowSec);
  }

  /** Counts one event of `rows` rows at `nowMs` (epoch ms). */
  add(nowMs: number, rows: number): void {
    const s = Math.floor(nowMs / 1000);
    const i = s % this.windowSec;
    if (this.sec[i] !== s) {
      this.sec[i] = s;
      this.rows[i] = 0;
      this.events[i] = 0;
    }
    this.rows[i] += rows;
    this.events[i]++;
  }

  /** Average rows/s and events/s over the window ending at `nowMs`. */
  rates(nowMs: number): { rowsPerSec: number; eventsPerSec: number } {
    const now = Math.floor(nowMs / 1000);
    let rows = 0;
    let events = 0;
    for (let i = 0; i < this.windowSec; i++) {
      if (this.sec[i] > now - this.windowSec) {
        rows += this.rows[i];
        events += this.events[i];
      }
    }
    return { rowsPerSec: rows / this.windowSec, eventsPerSec: events / this.windowSec };
  }
}
