/**
 * The exporter a `run --worker` keeps for the life of its process, handed to two script runs
 * in a row (as a worker runs each test it gets) against a local server: each run feeds it and
 * returns without closing it or waiting for a scrape, though a scraper has armed the final-
 * scrape wait; the counts keep counting across the runs (monotonic: the second run's are
 * added to the first's).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runScriptFile, startLoadMetricsServer } from '@tickstorm/loadlab';
import { type LocalServer, startServer } from '@tickstorm/loadlab/testing';
import { total } from './support/prom-scrape.ts';

let server: LocalServer;
let dir: string;
let file: string;
before(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'tickstorm-shared-exporter-'));
  file = join(dir, 'thirty.ts');
  writeFileSync(
    file,
    `import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 30 } } };
export default async function (): Promise<void> {
  await http.get('${server.url.replace(/\/$/, '')}/x');
}
`,
  );
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('two runs in a row feed one exporter: it stays up, counts both, and neither run waits for a scrape', async () => {
  const exporter = await startLoadMetricsServer({ port: 0 });
  try {
    const scrape = () => fetch(exporter.url).then((r) => r.text());
    await scrape();
    await scrape();
    assert.ok(exporter.finalScrapeWaitMs() > 0, 'a closing exporter would wait for one more scrape');
    const counts: number[] = [];
    for (const expected of [30, 60]) {
      const err: string[] = [];
      const r = await runScriptFile({
        file,
        version: 'test',
        out: () => undefined,
        err: (t) => err.push(t),
        metrics: exporter,
      });
      assert.equal(r.exitCode, 0, err.join('\n'));
      assert.equal(r.report?.scenarios[0].requests, 30);
      assert.doesNotMatch(err.join('\n'), /waiting up to|generator metrics/, 'neither opened nor closed');
      const text = await scrape(); // still serving after the run
      const count = total(text, 'loadlab_request_duration_seconds_count', { scenario: 's' });
      assert.equal(count, expected, 'every request of the runs so far');
      assert.equal(total(text, 'loadlab_requests_total', { scenario: 's' }), expected);
      assert.equal(total(text, 'loadlab_scenario_running', { scenario: 's' }), 0);
      counts.push(count);
    }
    assert.ok(counts[1] > counts[0], 'monotonic across runs');
  } finally {
    await exporter.close({ wait: false });
  }
});
