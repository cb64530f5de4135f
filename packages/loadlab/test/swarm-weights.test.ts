/**
 * Weights honoured within statistical bounds: task picks over many draws (each share within
 * 5 standard deviations of its binomial expectation), class mix on every prefix (within one
 * user of the exact share), fixed counts first.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { seededRandom } from '@tickstorm/protocol';
import { ClassMix } from '../src/swarm/class-mix.ts';
import { TaskPicker } from '../src/swarm/user.ts';

describe('TaskPicker', () => {
  test("the agent workload's 30/20/15/10/5/20 mix over 200,000 picks", () => {
    const weights = { data: 30, strategy: 20, risk: 15, exec: 10, workflow: 5, health: 20 };
    const picker = new TaskPicker(weights);
    const counts = new Map<string, number>();
    const rnd = seededRandom(42);
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const t = picker.pick(rnd());
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const [name, w] of Object.entries(weights)) {
      const p = w / 100;
      const sd = Math.sqrt(n * p * (1 - p));
      const got = counts.get(name) ?? 0;
      assert.ok(Math.abs(got - n * p) < 5 * sd, `${name}: ${got} picks, expected ${n * p} ± ${5 * sd}`);
    }
  });

  test('boundaries: u = 0 picks the first task, u just under 1 the last', () => {
    const picker = new TaskPicker({ a: 1, b: 2, c: 1 });
    assert.equal(picker.pick(0), 'a');
    assert.equal(picker.pick(0.2499), 'a');
    assert.equal(picker.pick(0.25), 'b');
    assert.equal(picker.pick(0.7499), 'b');
    assert.equal(picker.pick(0.75), 'c');
    assert.equal(picker.pick(0.999999), 'c');
  });
});

describe('ClassMix', () => {
  test('every prefix is within one user of the weights (10:1:1)', () => {
    const mix = new ClassMix([
      { weight: 10, fixedCount: 0 },
      { weight: 1, fixedCount: 0 },
      { weight: 1, fixedCount: 0 },
    ]);
    const counts = [0, 0, 0];
    for (let i = 0; i < 1200; i++) {
      counts[mix.classAt(i)]++;
      const n = i + 1;
      [10, 1, 1].forEach((w, c) => {
        assert.ok(Math.abs(counts[c] - (n * w) / 12) <= 1, `after ${n} users class ${c} has ${counts[c]}`);
      });
    }
    assert.deepEqual(counts, [1000, 100, 100]);
  });

  test('the sequence is a pure function of the index', () => {
    const a = new ClassMix([
      { weight: 3, fixedCount: 0 },
      { weight: 1, fixedCount: 0 },
    ]);
    const first = Array.from({ length: 40 }, (_, i) => a.classAt(i));
    const again = Array.from({ length: 40 }, (_, i) => a.classAt(39 - i)).reverse();
    assert.deepEqual(again, first);
    assert.deepEqual(first.slice(0, 4).sort(), [0, 0, 0, 1]);
  });

  test('fixed counts come first, weights share the rest; only-fixed ends with -1', () => {
    const mix = new ClassMix([
      { weight: 1, fixedCount: 2 },
      { weight: 1, fixedCount: 0 },
      { weight: 1, fixedCount: 1 },
    ]);
    assert.deepEqual([0, 1, 2].map((i) => mix.classAt(i)).sort(), [0, 0, 2]);
    assert.deepEqual(
      [3, 4, 5].map((i) => mix.classAt(i)),
      [1, 1, 1],
    );
    const onlyFixed = new ClassMix([{ weight: 1, fixedCount: 2 }]);
    assert.deepEqual(
      [0, 1, 2].map((i) => onlyFixed.classAt(i)),
      [0, 0, -1],
    );
  });
});
