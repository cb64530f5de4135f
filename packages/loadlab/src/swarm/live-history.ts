/**
 * `--csv PREFIX` while a swarm test runs, as Locust's writer does each second:
 * PREFIX_stats_history.csv grows as the test goes, each merged second appended as it closes,
 * so a long run can be followed with `tail -f` and a killed one leaves what it measured; and
 * PREFIX_stats.csv, PREFIX_failures.csv and PREFIX_exceptions.csv are rewritten with the
 * totals so far (each written beside and renamed over, so a reader never sees half a file).
 * Each test starts the history afresh (header); the report at the end rewrites the four whole,
 * the history with the same rows. A write that fails is said once on stderr; the test goes on.
 */
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import type { ScenarioResult, TimeSlice } from '../model/result.ts';
import { csvRow } from '../report/csv.ts';
import {
  LOCUST_HISTORY_COLUMNS,
  LocustHistoryRows,
  locustExceptionsCsv,
  locustFailuresCsv,
  locustStatsCsv,
} from '../report/locust-csv.ts';

export class LiveHistory {
  private rows = new LocustHistoryRows();
  private failed = false;

  readonly file: string;

  constructor(
    private readonly prefix: string,
    private readonly err: (line: string) => void,
  ) {
    this.file = `${prefix}_stats_history.csv`;
  }

  /** A new test: the file holds the header only. */
  start(): void {
    this.rows = new LocustHistoryRows();
    this.write(this.file, () => {
      makeDir(dirname(this.file));
      writeFileSync(this.file, csvRow(LOCUST_HISTORY_COLUMNS));
    });
  }

  /** The test's next merged second. */
  append(slice: TimeSlice): void {
    const text = this.rows.of(slice);
    this.write(this.file, () => appendFileSync(this.file, text));
  }

  /** The totals so far: the stats, failures and exceptions files, each replaced whole. */
  totals(result: ScenarioResult): void {
    for (const [suffix, text] of [
      ['stats', locustStatsCsv(result)],
      ['failures', locustFailuresCsv(result)],
      ['exceptions', locustExceptionsCsv(result)],
    ]) {
      const file = `${this.prefix}_${suffix}.csv`;
      this.write(file, () => {
        writeFileSync(`${file}.tmp`, text);
        renameSync(`${file}.tmp`, file);
      });
    }
  }

  private write(file: string, f: () => void): void {
    if (this.failed) return;
    try {
      f();
    } catch (e) {
      this.failed = true;
      this.err(`tickstorm swarm: cannot write ${file} during the test: ${(e as Error).message}`);
    }
  }
}
