/**
 * The HTML report's Workers section for a master's report (`swarm --master`, `run --master`):
 * how many joined, were expected and were connected at the end, and each missing worker with
 * when and why it went missing and its users then (as the console's `Workers:` lines and the
 * JSON's `workers` say), and for `run --master` what of a lost worker's part the merged figures
 * hold (its requests and script metrics up to its last snapshot), and the workers dropped for
 * their silence whose final report came after all (it replaced their last snapshot). Empty for a
 * run on one machine.
 */
import type { RunReport } from '../model/result.ts';
import { esc, table } from './html-parts.ts';

export function workersHtml(report: RunReport): string {
  const w = report.workers;
  if (w === undefined) return '';
  const back = (w.returned ?? []).map((r) => [
    r.id,
    new Date(r.droppedAt).toISOString(),
    r.reason,
    new Date(r.at).toISOString(),
    `${r.requests} requests (its whole report; its last snapshot had ${r.snapshotRequests ?? 'none'})`,
  ]);
  const returned =
    back.length === 0
      ? ''
      : `\n${table(['Worker that came back', 'Dropped at', 'Why', 'Its report came at', 'Its part in the figures'], back)}`;
  return `${missingHtml(w)}${returned}`;
}

function missingHtml(w: NonNullable<RunReport['workers']>): string {
  const head = `<h3>Workers</h3>\n<p>${esc(
    `${w.joined.length} joined (${w.expected} expected), ${w.connected} at the end, ${w.missing.length} missing`,
  )}</p>`;
  if (w.missing.length === 0) return head;
  const rows = w.missing.map((m) => [m.id, new Date(m.at).toISOString(), m.users, m.reason]);
  if (!w.missing.some((m) => m.partial !== undefined))
    return `${head}\n${table(['Missing worker', 'At', 'Users then', 'Reason'], rows)}`;
  // run --master: a lost worker's part up to its last snapshot is in the merged figures
  const partial = w.missing.map((m, i) => [
    ...rows[i],
    m.partial === undefined
      ? 'none'
      : `${m.partial.requests} requests, up to its last snapshot at ${new Date(m.partial.at).toISOString()}`,
  ]);
  return `${head}\n${table(['Missing worker', 'At', 'Users then', 'Reason', 'Its part in the figures'], partial)}`;
}
