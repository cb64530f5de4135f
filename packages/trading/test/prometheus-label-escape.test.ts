/**
 * The process's own rendering of latency histograms and order outcomes
 * (api/process-metrics.ts) writes label values with the text format's escapes: a backslash,
 * a double quote and a newline (`\\`, `\"`, `\n`). Before, they became '_', so two values
 * differing only there were one series. The labels used today are fixed words; this keeps
 * any future label (a symbol, an account) valid and distinct.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { renderProcessExtras, trackHistograms } from '../src/api/process-metrics.ts';
import { LatencyHistogram } from '../src/stats/latency-histogram.ts';

const PROMTOOL = '/usr/bin/promtool';

test('histogram label values are escaped, each its own series; promtool accepts the text', (t) => {
  const values = ['AAPL "A"', 'C:\\acct', 'two\nlines', 'AAPL _A_', 'é ☃'];
  const untrack = trackHistograms(
    ...values.map((symbol, i) => {
      const hist = new LatencyHistogram();
      for (let n = 0; n <= i; n++) hist.recordUs(100);
      return { name: 'tickstorm_test_escape_seconds', help: 'test', labels: { symbol }, hist };
    }),
  );
  try {
    const text = renderProcessExtras();
    const count = (v: string) =>
      new RegExp(
        `^tickstorm_test_escape_seconds_count\\{symbol="${v.replace(/[\\[\]().*+?^$|{}]/g, '\\$&')}"\\} (\\d+)$`,
        'm',
      ).exec(text)?.[1];
    assert.equal(count('AAPL \\"A\\"'), '1');
    assert.equal(count('C:\\\\acct'), '2');
    assert.equal(count('two\\nlines'), '3');
    assert.equal(count('AAPL _A_'), '4');
    assert.equal(count('é ☃'), '5');
    if (!existsSync(PROMTOOL)) {
      t.diagnostic(`${PROMTOOL} missing: the text was not linted`);
      return;
    }
    const lint = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(`${lint.stdout}${lint.stderr}`.trim(), '', 'promtool has no complaint');
    assert.equal(lint.status, 0);
  } finally {
    untrack();
  }
});
