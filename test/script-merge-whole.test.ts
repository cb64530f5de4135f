/**
 * A script's thresholds on merged parts equal the thresholds of one run that did them all.
 * The script runs three times in this process: whole, and as execution segments 0:1/2 and
 * 1/2:1 (per-vu-iterations: the whole has VUs 1-4, each part 2, numbered 1-2). Its samples
 * depend on the iteration number and on a "shift": 0 for the whole's VUs 1-2 and for part
 * 0:1/2, 1 for the whole's VUs 3-4 and for part 1/2:1 (TICKSTORM_TEST_PART), so the two parts
 * differ from each other and from the whole, and add up to the whole sample for sample.
 * The parts' reports merged (mergeRunReports + checkScriptOnWhole, what run --master does)
 * give every threshold's figure exactly as the whole run: a Counter's count, a Rate's and
 * the checks' rate, a Trend's percentiles, avg, min, max and count.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  checkScriptOnWhole,
  loadScriptGates,
  mergeRunReports,
  type RunReport,
  runScriptFile,
} from '@tickstorm/loadlab';

const dir = mkdtempSync(join(tmpdir(), 'tickstorm-merge-whole-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const THRESHOLDS = {
  units: ['count>0'],
  odd: ['rate>0'],
  checks: ['rate>0'],
  spread: ['p(50)>0', 'p(90)>0', 'p(95)>0', 'p(99)>0', 'avg>0', 'min>=0', 'max>0', 'med>0', 'count>0'],
  'spread{scenario:s}': ['p(95)>0'],
  iterations: ['count>0'],
};

const file = join(dir, 'spread.ts');
writeFileSync(
  file,
  `import { check } from 'tickstorm';
import { Counter, Rate, Trend } from 'tickstorm/metrics';
const units = new Counter('units');
const odd = new Rate('odd');
const spread = new Trend('spread');
export const options = {
  scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 150 } },
  thresholds: ${JSON.stringify(THRESHOLDS)},
};
export default function (ctx: { vu: number; iteration: number }): void {
  const part = process.env.TICKSTORM_TEST_PART;
  const shift = part === undefined ? (ctx.vu > 2 ? 1 : 0) : Number(part);
  const i = ctx.iteration;
  units.add(shift === 0 ? (i * 7) % 11 : 3);
  odd.add(shift === 0 ? i % 3 === 1 : i % 5 !== 0);
  check(i, { 'not a multiple of 5': (n) => (shift === 0 ? n % 5 !== 0 : n % 2 === 0) });
  // 0.05 ms .. ~2.9 s, heavy-tailed: many HdrHistogram buckets; the second kind 4x longer.
  spread.add((0.05 * 1.08 ** (i % 143) + (i % 7) * 0.013) * (1 + 3 * shift));
}
`,
);

async function run(segment?: { index: number; count: number }): Promise<RunReport> {
  if (segment === undefined) delete process.env.TICKSTORM_TEST_PART;
  else process.env.TICKSTORM_TEST_PART = String(segment.index);
  try {
    const r = await runScriptFile({ file, version: 'test', out: () => undefined, segment });
    assert.equal(r.exitCode, 0);
    assert.ok(r.report !== null);
    return r.report;
  } finally {
    delete process.env.TICKSTORM_TEST_PART;
  }
}

test('the merged parts’ thresholds equal the whole run’s, figure for figure', async () => {
  const whole = await run();
  const a = await run({ index: 0, count: 2 });
  const b = await run({ index: 1, count: 2 });
  const gates = await loadScriptGates({ file, version: 'test', out: () => undefined });
  assert.ok(!('exitCode' in gates));
  const inputs = [
    { source: 'part a', report: a },
    { source: 'part b', report: b },
  ];
  const merged = checkScriptOnWhole(mergeRunReports(inputs, 'test'), inputs, gates);
  const figures = (rows: { metric: string; threshold: string; actual: number }[]) =>
    rows.map((t) => `${t.metric}: ${t.threshold} = ${t.actual}`);
  const expected = figures(whole.script?.thresholds ?? []);
  assert.equal(expected.length, 14);
  assert.deepEqual(figures(merged.section.thresholds), expected);
  assert.equal(merged.failed, 0);
  assert.deepEqual(merged.without, []);
  // Each part alone has other figures than the whole's.
  const fig = (r: RunReport, key: string) =>
    r.script?.thresholds.find((t) => `${t.metric}: ${t.threshold}` === key)?.actual;
  for (const key of [
    'iterations: count>0',
    'units: count>0',
    'odd: rate>0',
    'checks: rate>0',
    'spread: p(95)>0',
    'spread: avg>0',
    'spread: med>0',
  ]) {
    const [x, y, w] = [fig(a, key), fig(b, key), fig(whole, key)];
    assert.ok(x !== w && y !== w, `${key}: parts ${x} and ${y}, whole ${w}`);
  }
  // k6's vus and vus_max are series in time (vus:*, vus_max:* keys by second): the parts ran
  // after each other, not with the whole
  const untimed = (c: Record<string, number> = {}) =>
    Object.fromEntries(Object.entries(c).filter(([k]) => !/^vus(_max)?:/.test(k)));
  assert.deepEqual(
    untimed(merged.section.scenarios[0].counters),
    untimed(whole.script?.scenarios[0].counters),
  );
  assert.deepEqual(
    merged.section.parts?.map((p) => [p.source, p.exitCode]),
    [
      ['part a', 0],
      ['part b', 0],
    ],
  );
});
