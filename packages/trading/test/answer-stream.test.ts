/**
 * Query answers from the query process (guards/answer-stream.ts): frames cut anywhere by the
 * socket's reads come out whole and in order; the bytes are written through reused slots
 * (no slot allocated beyond the pool, every slot back once written); a reader that does not
 * read gets copies past its share; an answer cut short destroys its response; an answer
 * nobody waits for is skipped without losing the frame after it.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import {
  AnswerReader,
  type AnswerSink,
  encodeAnswerHeader,
  SlotPool,
  type StreamedResult,
} from '../src/guards/answer-stream.ts';

/** The bytes of one frame. */
function frame(id: number, body: Buffer, rows = 1, truncated = false): Buffer {
  return Buffer.concat([encodeAnswerHeader(id, body.length, rows, truncated), body]);
}

/** Feeds `bytes` to the reader as socket reads of the given sizes (cycled), as onread would. */
function feed(reader: AnswerReader, bytes: Buffer, sizes: number[]): void {
  const buf = reader.onread.buffer;
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.min(sizes[i % sizes.length], buf.length, bytes.length - at);
    bytes.copy(buf, 0, at, at + n);
    buf.fill(0xee, n); // what a later read leaves behind must never reach an answer
    reader.onread.callback(n, buf);
    at += n;
  }
}

function body(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/**
 * A response-like sink that completes each write on a later turn, as a socket may, and reads
 * the written memory only then (as the kernel would): a slot reused before its write
 * completed shows up as wrong bytes. `stuck`: writes never complete (a client that stopped
 * reading); their memory is read when the test looks.
 */
class Sink extends EventEmitter implements AnswerSink {
  private readonly parts: Uint8Array[] = [];
  destroyed = false;
  ended = false;
  error: Error | null = null;
  constructor(private readonly stuck = false) {
    super();
  }
  write(chunk: Uint8Array, cb: (err?: Error | null) => void): boolean {
    const at = this.parts.push(chunk) - 1;
    if (this.stuck) return false;
    setImmediate(() => {
      this.parts[at] = Buffer.from(chunk); // flushed: its bytes as they are now
      cb(null);
    });
    return true;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
  end(): void {
    this.ended = true;
    setImmediate(() => this.emit('close'));
  }
  destroy(err?: Error): void {
    this.destroyed = true;
    this.error = err ?? null;
    setImmediate(() => this.emit('close'));
  }
}

const turn = () => new Promise((r) => setImmediate(r));

describe('answer stream', () => {
  test('frames cut at any read size come out whole, in order, with their row counts', async () => {
    for (const sizes of [[1], [7, 3], [15, 17], [65536], [1000, 30000, 5]]) {
      const answers = new Map<number, StreamedResult>();
      const collected = new Map<number, Promise<Buffer>>();
      const reader = new AnswerReader({
        onAnswer: (id, r) => {
          answers.set(id, r);
          collected.set(id, r.stream.collect());
          return true;
        },
      });
      const bodies = [body(10, 1), body(200_000, 2), body(0, 3), body(65_536, 4), body(3, 5)];
      const bytes = Buffer.concat(bodies.map((b, i) => frame(i + 1, b, i * 10, i === 1)));
      feed(reader, bytes, sizes);
      assert.equal(answers.size, bodies.length, `sizes ${sizes}`);
      for (let i = 0; i < bodies.length; i++) {
        const r = answers.get(i + 1)!;
        assert.equal(r.rowCount, i * 10);
        assert.equal(r.truncated, i === 1);
        assert.equal(r.stream.length, bodies[i].length);
        assert.ok((await collected.get(i + 1)!).equals(bodies[i]), `answer ${i + 1}, reads of ${sizes}`);
      }
    }
  });

  test('a response gets its bytes through reused slots, and every slot comes back', async () => {
    const pool = new SlotPool(64 * 1024, 32);
    const sinks: Sink[] = [];
    const reader = new AnswerReader({
      pool,
      onAnswer: (_id, r) => {
        const sink = new Sink();
        sinks.push(sink);
        r.stream.writeTo(sink);
        return true;
      },
    });
    const bodies = Array.from({ length: 20 }, (_, i) => body(300_000 + i, i));
    for (let i = 0; i < bodies.length; i++) {
      feed(reader, frame(i + 1, bodies[i]), [65536]);
      await turn(); // the writes complete: slots come back
    }
    await turn();
    for (let i = 0; i < bodies.length; i++) {
      assert.ok(sinks[i].bytes().equals(bodies[i]));
      assert.ok(sinks[i].ended);
    }
    // 6 MB went through; no more slots were ever made than one answer's share, all free again.
    assert.ok(pool.available === 32, `slots free: ${pool.available}`);
    const made = (pool as unknown as { made: number }).made;
    assert.ok(made <= 8, `slots made: ${made}`);
  });

  test('a reader that does not read gets copies past its share; the pool stays free for others', async () => {
    const pool = new SlotPool(64 * 1024, 32);
    let stuck!: Sink;
    const reader = new AnswerReader({
      pool,
      perAnswerSlots: 4,
      onAnswer: (_id, r) => {
        stuck = new Sink(true); // writes that never complete: a client that stopped reading
        r.stream.writeTo(stuck);
        return true;
      },
    });
    const b = body(1_000_000, 9);
    feed(reader, frame(1, b), [65536]);
    assert.ok(stuck.bytes().equals(b));
    assert.equal(pool.available, 28, 'the stuck answer holds its 4 slots, no more');
    stuck.destroy();
    await turn();
    assert.equal(pool.available, 32, 'its slots come back when its response closes');
  });

  test('an answer cut short destroys its response; one nobody waits for is skipped', async () => {
    const results: StreamedResult[] = [];
    const reader = new AnswerReader({
      onAnswer: (id, r) => {
        if (id === 1) return false; // timed out meanwhile: nobody waits
        results.push(r);
        return true;
      },
    });
    const second = body(5000, 3);
    feed(reader, Buffer.concat([frame(1, body(100_000, 1)), frame(2, second)]), [4096]);
    assert.equal(results.length, 1);
    assert.ok((await results[0].stream.collect()).equals(second), 'the frame after a skipped one is whole');
    const third = body(200_000, 4);
    let sink!: Sink;
    const cut = new AnswerReader({
      onAnswer: (_id, r) => {
        sink = new Sink();
        r.stream.writeTo(sink);
        return true;
      },
    });
    feed(cut, frame(7, third).subarray(0, 100_000), [65536]);
    assert.ok(!sink.destroyed);
    cut.close(new Error('the query process exited'));
    assert.ok(sink.destroyed && !sink.ended, 'cut short: destroyed, never ended');
    assert.equal(sink.error?.message, 'the query process exited');
  });
});
