/**
 * --out json's vus and vus_max are k6's: one Point of each per second for the whole test (the
 * sum over the scenarios running), tagged with the run's tags (options.tags, --tag) only, not
 * `scenario` nor a scenario's own tags; every other sample keeps its `scenario`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-out-vus-');

test('two scenarios at once: one vus and one vus_max Point a second, their sum, with the run’s tags only', async () => {
  const f = t.script(
    'two.js',
    `import http from 'k6/http';
import { sleep } from 'k6';
export const options = {
  tags: { testid: 'v1' },
  scenarios: {
    browse: { executor: 'constant-vus', vus: 2, duration: '3s', tags: { team: 'web' } },
    buy: { executor: 'constant-vus', vus: 1, duration: '3s' },
  },
};
export default async function () {
  await http.get('$URL/vus');
  await sleep(0.1);
}
`,
  );
  const lines = join(t.dir, 'two.jsonl');
  const r = await run(['run', f, '--tag', 'build=9', '--out', `json=${lines}`]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const points = readFileSync(lines, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((l) => l.type === 'Point');
  const of = (m: string) => points.filter((p) => p.metric === m);
  for (const m of ['vus', 'vus_max']) {
    assert.ok(of(m).length >= 1, `no ${m} Point`);
    for (const p of of(m)) assert.deepEqual(p.data.tags, { testid: 'v1', build: '9' }, JSON.stringify(p));
    // the sum of both scenarios while they run (2 + 1), never one scenario's alone
    assert.equal(Math.max(...of(m).map((p) => p.data.value)), 3, m);
    // once a second: no two Points of one metric in the same tick
    const times = of(m).map((p) => Date.parse(p.data.time));
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 900, `${m}: ${times}`);
  }
  for (const s of ['browse', 'buy'])
    assert.ok(
      of('iterations').some((p) => p.data.tags.scenario === s),
      `no iteration tagged scenario ${s}`,
    );
  for (const p of points.filter((x) => x.metric !== 'vus' && x.metric !== 'vus_max'))
    assert.ok(['browse', 'buy'].includes(p.data.tags.scenario), JSON.stringify(p));
});
