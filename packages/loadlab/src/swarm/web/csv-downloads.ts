/**
 * The CSV downloads (Locust's routes and file names), all Locust-compatible through
 * report/locust-csv.ts (the exceptions file's rows come from the result's extra.exceptions).
 */

import type { ScenarioResult } from '../../model/result.ts';
import {
  locustExceptionsCsv,
  locustFailuresCsv,
  locustHistoryCsv,
  locustStatsCsv,
} from '../../report/locust-csv.ts';

export interface CsvDownload {
  /** File name stem; the download is `<stem>_<epoch s>.csv`, as Locust names them. */
  stem: string;
  render(result: ScenarioResult): string;
}

export const CSV_ROUTES: ReadonlyMap<string, CsvDownload> = new Map([
  ['/stats/requests/csv', { stem: 'requests', render: locustStatsCsv }],
  ['/stats/requests_full_history/csv', { stem: 'requests_full_history', render: locustHistoryCsv }],
  ['/stats/failures/csv', { stem: 'failures', render: locustFailuresCsv }],
  ['/exceptions/csv', { stem: 'exceptions', render: locustExceptionsCsv }],
]);
