/**
 * `--csv PREFIX` while a swarm test runs: PREFIX_stats_history.csv grows as the test goes, each
 * merged second appended as it closes (Locust's writer appends its history rows during the
 * test too), so a long run can be followed with `tail -f` and a killed one leaves what it
 * measured. Each test starts the file afresh (header); the report at the end rewrites it whole,
 * with the same rows. A write that fails is said once on stderr; the test goes on.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { makeDir } from '@tickstorm/protocol';
import type { TimeSlice } from '../model/result.ts';
import { csvRow } from '../report/csv.ts';
import { LOCUST_HISTORY_COLUMNS, LocustHistoryRows } from '../report/locust-csv.ts';

export class LiveHistory {
  private rows = new LocustHistoryRows();
  private failed = false;

  constructor(
    readonly file: string,
    private readonly err: (line: string) => void,
  ) {}

  /** A new test: the file holds the header only. */
  start(): void {
    this.rows = new LocustHistoryRows();
    this.write(() => {
      makeDir(dirname(this.file));
      writeFileSync(this.file, csvRow(LOCUST_HISTORY_COLUMNS));
    });
  }

  /** The test's next merged second. */
  append(slice: TimeSlice): void {
    const text = this.rows.of(slice);
    this.write(() => appendFileSync(this.file, text));
  }

  private write(f: () => void): void {
    if (this.failed) return;
    try {
      f();
    } catch (e) {
      this.failed = true;
      this.err(`tickstorm swarm: cannot write ${this.file} during the test: ${(e as Error).message}`);
    }
  }
}
