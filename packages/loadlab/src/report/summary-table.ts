/**
 * Tables a suite adds to a run's console output and HTML report (for example a system's
 * published performance targets with the run's figures filled in). The last column of each
 * row is its status: ✅ met, ❌ missed, ⏳ not measured.
 */
import { markdownTable, statusMark } from './markdown-table.ts';

export interface SummaryRow {
  cells: readonly string[];
  pass: boolean | null;
}

export interface SummaryTable {
  /** A heading, e.g. "Throughput Targets". */
  title: string;
  /** Column headings without the final "Status". */
  columns: readonly string[];
  rows: readonly SummaryRow[];
  /** A heading above a group of tables that starts with this one (HTML report). */
  group?: string;
}

/** "### Title", a blank line and the Markdown table, for each table, separated by blank lines. */
export function renderSummaryTables(tables: readonly SummaryTable[]): string {
  return tables
    .map((t) =>
      [
        `### ${t.title}`,
        '',
        markdownTable(
          [...t.columns, 'Status'],
          t.rows.map((r) => [...r.cells, statusMark(r.pass)]),
        ),
      ].join('\n'),
    )
    .join('\n\n');
}
