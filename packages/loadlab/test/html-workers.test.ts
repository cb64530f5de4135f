/**
 * A master's HTML report says which workers went missing (as its console `Workers:` lines and
 * its JSON's `workers` do); a report of one machine has no Workers section.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderHtmlReport } from '@tickstorm/loadlab';
import { buildRunReport, recordedScenario as scenario } from '@tickstorm/loadlab/testing';

const s = () => scenario([{ type: 'GET', name: '/x', us: 1000 }]);

test('a master report lists the missing worker with its reason and users', async () => {
  const report = {
    ...buildRunReport([s()]),
    workers: {
      expected: 3,
      joined: ['w1', 'w2', 'w3'],
      connected: 2,
      missing: [{ id: 'w2', reason: 'connection closed', at: Date.UTC(2026, 0, 2, 3, 4, 5), users: 10 }],
    },
  };
  const html = await renderHtmlReport(report);
  assert.match(html, /<h3>Workers<\/h3>\s*<p>3 joined \(3 expected\), 2 at the end, 1 missing<\/p>/);
  assert.match(
    html,
    /<td>w2<\/td>\s*<td>2026-01-02T03:04:05\.000Z<\/td>\s*<td[^>]*>10<\/td>\s*<td>connection closed<\/td>/,
  );
});

test("a run master's report says how much of a lost worker's part is in the figures", async () => {
  const report = {
    ...buildRunReport([s()]),
    workers: {
      expected: 2,
      joined: ['w1', 'w2'],
      connected: 1,
      missing: [
        {
          id: 'w2',
          reason: 'connection closed',
          at: Date.UTC(2026, 0, 2, 3, 4, 5),
          users: 0,
          partial: { at: Date.UTC(2026, 0, 2, 3, 4, 4), requests: 80 },
        },
      ],
    },
  };
  const html = await renderHtmlReport(report);
  assert.match(html, /<th>Its part in the figures<\/th>/);
  assert.match(html, /<td>80 requests, up to its last snapshot at 2026-01-02T03:04:04\.000Z<\/td>/);
});

test('a report of one machine has no Workers section', async () => {
  const html = await renderHtmlReport(buildRunReport([s()]));
  assert.doesNotMatch(html, /<h3>Workers<\/h3>/);
});
