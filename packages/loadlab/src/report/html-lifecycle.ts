/**
 * The HTML report's setup()/teardown() blocks (a script's, lifecycle-rows.ts). With one
 * scenario its section counts them (rows `(setup) NAME`, LIFECYCLE_NOTE says so); with several,
 * each part gets a section of its own ('(setup)', '(teardown)') and a table of every part's
 * requests adds up to the run's http_reqs.
 */
import type { ScenarioResult } from '../model/result.ts';
import { esc, table } from './html-parts.ts';

export const LIFECYCLE_NOTE =
  "setup()'s and teardown()'s requests are counted here, as k6's http_reqs counts them (rows (setup) … and (teardown) …); the charts are the scenario's.";

const num = (v: string | number) => ({ html: esc(v), cls: 'num' });

/** A '(setup)' / '(teardown)' part's section: its Sample Results table (`entries`) and failures. */
export function lifecycleSection(p: ScenarioResult, entries: string): string {
  const fn = p.scenario === '(setup)' ? 'setup()' : 'teardown()';
  const failures = p.failureRows.map((f) => [f.method, f.name, f.error, num(f.occurrences)]);
  return [
    `<section id="scenario-${esc(p.scenario)}">`,
    `<h2>${esc(fn)} <small>(${esc(p.scenario)})</small></h2>`,
    `<p class="meta">Its requests: in no scenario, counted in the run's http_reqs, as k6 counts them.</p>`,
    entries,
    '<h3>Failures</h3>',
    failures.length > 0
      ? table(['Method', 'Name', 'Error', 'Occurrences'], failures)
      : '<p class="meta">None.</p>',
    '</section>',
  ].join('\n');
}

/** Requests and failures per scenario and part, and their total (the run's http_reqs). */
export function requestTotals(
  scenarios: readonly ScenarioResult[],
  parts: readonly ScenarioResult[],
): string {
  const all = [...scenarios, ...parts];
  const rows = all.map((s) => [s.scenario, num(s.requests), num(s.failures)]);
  rows.push([
    'Total (http_reqs)',
    num(all.reduce((a, s) => a + s.requests, 0)),
    num(all.reduce((a, s) => a + s.failures, 0)),
  ]);
  return `<h3>Requests</h3>\n${table(['Scenario', '# reqs', '# fails'], rows)}`;
}
