/**
 * A growable FIFO ring of waiting requests (struct of arrays: tag, request, intended time,
 * resolver), so queueing a request allocates nothing until the ring has to grow.
 */
import type { HttpOutcome } from './http-client.ts';
import type { PreparedRequest } from './http-request.ts';

export type Resolve = (o: HttpOutcome) => void;

export class RequestQueue {
  private tags = new Int32Array(64);
  private intended = new Float64Array(64);
  private reqs: (PreparedRequest | null)[] = new Array(64).fill(null);
  private resolves: (Resolve | null)[] = new Array(64).fill(null);
  private head = 0;
  length = 0;

  push(tag: number, req: PreparedRequest, intendedUs: number, resolve: Resolve | null): void {
    if (this.length === this.tags.length) this.grow();
    const i = (this.head + this.length) & (this.tags.length - 1);
    this.tags[i] = tag;
    this.intended[i] = intendedUs;
    this.reqs[i] = req;
    this.resolves[i] = resolve;
    this.length++;
  }

  /** Index of the oldest entry, read with the accessors, then `shift()`. */
  get first(): number {
    return this.head;
  }
  tag(i: number): number {
    return this.tags[i];
  }
  req(i: number): PreparedRequest {
    return this.reqs[i]!;
  }
  intendedUs(i: number): number {
    return this.intended[i];
  }
  resolve(i: number): Resolve | null {
    return this.resolves[i];
  }

  shift(): void {
    this.reqs[this.head] = null;
    this.resolves[this.head] = null;
    this.head = (this.head + 1) & (this.tags.length - 1);
    this.length--;
  }

  private grow(): void {
    const n = this.tags.length;
    const tags = new Int32Array(n * 2);
    const intended = new Float64Array(n * 2);
    const reqs: (PreparedRequest | null)[] = new Array(n * 2).fill(null);
    const resolves: (Resolve | null)[] = new Array(n * 2).fill(null);
    for (let k = 0; k < n; k++) {
      const i = (this.head + k) & (n - 1);
      tags[k] = this.tags[i];
      intended[k] = this.intended[i];
      reqs[k] = this.reqs[i];
      resolves[k] = this.resolves[i];
    }
    this.tags = tags;
    this.intended = intended;
    this.reqs = reqs;
    this.resolves = resolves;
    this.head = 0;
  }
}
