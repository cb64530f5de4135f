/**
 * A headless swarm prints Locust's "Response time percentiles (approximated)" table after the
 * Sample Results, as `locust --headless` does at its end: per name, then Aggregated, the
 * figures of --csv's PREFIX_stats.csv percentile columns. Before, the console had no
 * percentile beyond the median.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startPathCounter } from '@tickstorm/loadlab/testing';
import { tickstorm as run } from './support/cli.ts';

let srv: Awaited<ReturnType<typeof startPathCounter>>;
let dir: string;
before(async () => {
  srv = await startPathCounter();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-percentile-table-'));
});
after(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

test("the percentile table follows the Sample Results, with the stats CSV's figures", async () => {
  const f = join(dir, 'users.js');
  writeFileSync(
    f,
    `import { HttpUser, StopUser, tasks } from '@tickstorm/loadlab/swarm';
export class U extends HttpUser {
  static tasks = tasks({ go: 1 });
  n = 0;
  async go() {
    await this.client.get('/a');
    await this.client.get('/b');
    if (++this.n === 5) throw new StopUser();
  }
}
`,
  );
  const prefix = join(dir, 'out');
  const r = await run([
    'swarm',
    '-f',
    f,
    '--headless',
    '-u',
    '1',
    '-r',
    '1',
    '-t',
    '2s',
    '--only-summary',
    '-H',
    srv.url.replace(/\/$/, ''),
    '--csv',
    prefix,
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const table = r.stdout.slice(r.stdout.indexOf('Response time percentiles (approximated)'));
  assert.ok(r.stdout.indexOf('Aggregated') < r.stdout.indexOf('Response time percentiles'), r.stdout);
  const lines = table.split('\n');
  assert.match(
    lines[1],
    /^Type {5}Name +50% +66% +75% +80% +90% +95% +98% +99% +99\.9% 99\.99% +100% # reqs$/,
  );
  const csv = readFileSync(`${prefix}_stats.csv`, 'utf8').trim().split(/\r?\n/).slice(1);
  for (const row of csv) {
    const c = row.split(',');
    const want = [...c.slice(11, 22), c[2]].join(' +');
    const name = c[1] === 'Aggregated' ? ' {9}Aggregated' : `${c[0]} +${c[1]}`;
    assert.match(table, new RegExp(`^${name} +${want}$`, 'm'), `${row}\n${table}`);
  }
});
