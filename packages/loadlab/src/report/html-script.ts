/**
 * The HTML report's block for a script run: its options.thresholds (k6's shape) as checked on
 * this report (a single run, or the merged whole of `run --master` and `tickstorm merge`), and
 * when merged each part's own verdicts, shown, not deciding.
 */
import type { RunReport } from '../model/result.ts';
import { esc, status, table } from './html-parts.ts';

const figure = (v: number) => ({
  html: esc(Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : 'n/a'),
  cls: 'num',
});

export function scriptThresholdsHtml(report: RunReport): string {
  const s = report.script;
  if (s === undefined) return '';
  const rows = s.thresholds.map((t) => [
    t.metric,
    t.threshold + (t.abortOnFail ? ' (abortOnFail)' : ''),
    figure(t.actual),
    status(t.ok),
  ]);
  const out = [
    `<h3>Script thresholds (options.thresholds)${s.parts === undefined ? '' : ' on the merged whole'}</h3>`,
    rows.length > 0
      ? table(['Metric', 'Threshold', 'Actual', 'Status'], rows, 'targets')
      : '<p class="meta">None set.</p>',
  ];
  if (s.abortedBy !== undefined) out.push(`<p class="warn">Aborted by ${esc(s.abortedBy)}</p>`);
  if (s.parts !== undefined && s.parts.length > 0) {
    const parts = s.parts.map((p) => {
      const missed = p.thresholds.filter((t) => !t.ok);
      return [
        p.source,
        { html: esc(p.exitCode), cls: 'num' },
        missed.length === 0
          ? 'none'
          : missed
              .map((t) => `${t.metric}: ${t.threshold} (actual ${Math.round(t.actual * 1e4) / 1e4})`)
              .join('; '),
      ];
    });
    out.push(
      '<p class="meta">Each part on its own (shown; the merged whole above decides the exit code):</p>',
      table(['Part', 'Exit code', 'Thresholds missed on its own'], parts),
    );
  }
  return out.join('\n');
}
