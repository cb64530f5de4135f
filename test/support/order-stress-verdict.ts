/**
 * The verdict of a short `tickstorm run order-stress` whose point is not its targets (TLS,
 * client certificates): on a loaded machine its clock-bound targets can miss without any
 * fault (the Orders/s target allows 1% under the rate: a 1 s run whose last order answers
 * 35 ms late, or one order dropped during a stall, misses it; P95 latency counts from the
 * intended start, so a 400 ms stall of the box shows in it). So: exit 0 with every target
 * met, or exit 99 with only those two missed, and in both cases every order sent answered
 * as expected and every planned order accounted for.
 */
import assert from 'node:assert/strict';

export const CLOCK_BOUND_TARGETS = ['Orders/s', 'P95 order latency'];

interface ScenarioJson {
  requests: number;
  failures: number;
  targets: { name: string; pass: boolean }[];
  generator: { droppedIterations: number };
}

export function assertOrdersRanClean(
  code: number | null,
  s: ScenarioJson,
  planned: number,
  out: string,
): void {
  assert.ok(code === 0 || code === 99, `exit ${code}: ${out}`);
  const missed = s.targets.filter((t) => !t.pass).map((t) => t.name);
  if (code === 0) assert.deepEqual(missed, [], out);
  else {
    assert.ok(missed.length > 0, out);
    for (const name of missed) assert.ok(CLOCK_BOUND_TARGETS.includes(name), `${name} missed: ${out}`);
  }
  assert.ok(
    s.targets.some((t) => t.name === 'Error rate' && t.pass),
    out,
  );
  assert.equal(s.failures, 0, out);
  assert.ok(s.requests > 0);
  assert.equal(s.requests + s.generator.droppedIterations, planned, `requests ${s.requests}`);
}
