/**
 * As in k6, a custom metric that never had a sample is left out of the summary, --json's
 * metrics and handleSummary's data (k6 shows only the metrics it observed), unless a threshold
 * names it. A Counter given add(0), a Trend given only negative samples and a Gauge once set
 * had samples and are shown.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-unobserved-');

test('custom metrics without a sample are left out; add(0), a negative Trend sample and a named one stay', async () => {
  const body = `import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
const never = [new Counter('n_counter'), new Trend('n_trend'), new Rate('n_rate'), new Gauge('n_gauge')];
const zero = new Counter('zero_counter');
const neg = new Trend('neg_trend');
const depth = new Gauge('set_gauge');
const named = new Counter('named_counter');
export const options = { iterations: 2, thresholds: { named_counter: ['count<1'] } };
export default async function () { zero.add(0); neg.add(-3); depth.add(4); }
`;
  const f = t.script(
    'unobserved.js',
    `${body}export function handleSummary(data) {
  return { '${t.dir}/data.json': JSON.stringify(Object.keys(data.metrics)) };
}
`,
  );
  const json = join(t.dir, 'unobserved.json');
  const r = await run(['run', f, '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const shown = ['zero_counter', 'neg_trend', 'set_gauge', 'named_counter'];
  const hidden = ['n_counter', 'n_trend', 'n_rate', 'n_gauge'];
  const fromJson = Object.keys(JSON.parse(readFileSync(json, 'utf8')).metrics);
  const fromData: string[] = JSON.parse(readFileSync(join(t.dir, 'data.json'), 'utf8'));
  for (const keys of [fromJson, fromData]) {
    for (const m of shown) assert.ok(keys.includes(m), `${m} missing from ${keys}`);
    for (const m of hidden) assert.ok(!keys.includes(m), `${m} shown in ${keys}`);
  }
  const plain = await run(['run', t.script('plain.js', body), '--summary-export', join(t.dir, 'x.json')]);
  assert.equal(plain.code, 0, plain.stderr + plain.stdout);
  const exported = Object.keys(JSON.parse(readFileSync(join(t.dir, 'x.json'), 'utf8')).metrics);
  for (const m of hidden) assert.ok(!exported.includes(m), `${m} exported`);
  assert.ok(exported.includes('zero_counter'));
  for (const m of hidden) assert.doesNotMatch(plain.stdout, new RegExp(`${m}\\.{2,}`));
  assert.match(plain.stdout, /zero_counter\.{2,}/);
});
