/**
 * k6's vus_max counts every VU it initialises before the test starts: every scenario's VUs
 * (a later startTime's too) and an arrival-rate scenario's preAllocatedVUs, from the first
 * second to the end (k6's Scheduler: lib.GetMaxPlannedVUs of the execution plan). Scenario `a`
 * (constant-vus 2 for 3 s) and `b` (constant-arrival-rate, preAllocatedVUs 3, from 1 s): 5
 * throughout, in the summary, handleSummary's data, --summary-export, --out json and the
 * Prometheus gauges (a's 2 and b's 3 from the start; taken off when the run ends). A
 * ramping-vus scenario counts as k6 plans it, VU by VU as it ramps (not its peak throughout).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runScriptFile, startLoadMetricsServer } from '@tickstorm/loadlab';
import { promSamples } from '@tickstorm/loadlab/testing';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-vus-max-planned-');

const script = (extra: string) => `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  scenarios: {
    a: { executor: 'constant-vus', vus: 2, duration: '3s', gracefulStop: '0s' },
    b: { executor: 'constant-arrival-rate', rate: 2, timeUnit: '1s', duration: '2s',
         preAllocatedVUs: 3, startTime: '1s', gracefulStop: '0s' },
  },
  thresholds: { vus_max: ['value==5'] },
};
export default async function () {
  await http.get('$URL/vus-max');
  await sleep(0.2);
}
${extra}`;

test('a later scenario and preAllocatedVUs count in vus_max from the first second: 5 throughout', async () => {
  const g = t.script(
    'planned.js',
    script(`export function handleSummary(data) {
  return { ${JSON.stringify(join(t.dir, 'data.json'))}: JSON.stringify(data.metrics.vus_max) };
}`),
  );
  const lines = join(t.dir, 'planned.jsonl');
  const exported = join(t.dir, 'export.json');
  const r = await run(['run', g, '--out', `json=${lines}`, '--summary-export', exported]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const data = JSON.parse(readFileSync(join(t.dir, 'data.json'), 'utf8'));
  assert.deepEqual(data.values, { value: 5, min: 5, max: 5 });
  assert.deepEqual(data.thresholds, { 'value==5': { ok: true } });
  const exp = JSON.parse(readFileSync(exported, 'utf8')).metrics.vus_max;
  assert.equal(exp.value, 5);
  assert.equal(exp.min, 5);
  assert.equal(exp.max, 5);
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point' && l.metric === 'vus_max');
  assert.ok(points.length >= 2, `vus_max Points: ${points.length}`);
  assert.deepEqual(
    points.map((p) => p.data.value),
    points.map(() => 5),
  );
});

test('the summary and the Prometheus gauges: 5 before b started, taken off when the run ends', async () => {
  const f = t.script('planned-prom.js', script(''));
  const metrics = await startLoadMetricsServer({ port: 0 });
  try {
    const out: string[] = [];
    const err: string[] = [];
    let during: number | undefined;
    const r = await runScriptFile({
      file: f,
      version: 'test',
      progress: { quiet: true },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
      metrics: {
        ...metrics,
        render: metrics.render,
        // the first second of `a`, before `b` started: `b`'s preAllocatedVUs count already
        observe(scenario, slice, detail) {
          metrics.observe(scenario, slice, detail);
          if (scenario === 'a' && during === undefined) during = vusMax(metrics.render());
        },
      },
    });
    assert.equal(r.exitCode, 0, err.join('\n') + out.join('\n'));
    assert.deepEqual(r.summary?.metrics.vus_max.values, { value: 5, min: 5, max: 5 });
    assert.match(out.join('\n'), /vus_max[ .]*: 5 +min=5 +max=5/);
    assert.equal(during, 5);
    // the run ended: the gauges are back to 0 (an exporter that lives on, run --worker's)
    assert.equal(vusMax(metrics.render()), 0);
  } finally {
    await metrics.close({ wait: false });
  }
});

test('ramping-vus beside a scenario that ends as it ramps up: k6’s plan (10, not 15) in the summary and --json', async () => {
  // a: 0 -> 10 VUs over 1 s, one more each 100 ms; b: 5 VUs until 200 ms, when a has 2
  const f = t.script(
    'ramping.js',
    `import http from 'k6/http';
export const options = {
  scenarios: {
    a: { executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '1s', target: 10 }],
         gracefulRampDown: '0s', gracefulStop: '0s' },
    b: { executor: 'constant-vus', vus: 5, duration: '200ms', gracefulStop: '0s' },
  },
  thresholds: { vus_max: ['value==10'] },
};
export default async function () {
  await http.get('$URL/ramping');
}
`,
  );
  const json = join(t.dir, 'ramping.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /vus_max[ .]*: 10 +min=10 +max=10/);
  assert.deepEqual(JSON.parse(readFileSync(json, 'utf8')).metrics.vus_max.values, {
    value: 10,
    min: 10,
    max: 10,
  });
});

function vusMax(text: string): number {
  return promSamples(text)
    .filter((s) => s.name === 'loadlab_script_vus_max')
    .reduce((a, s) => a + s.value, 0);
}
