import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  buildRunReport,
  FIXTURE_T0,
  handScenario,
  orderStress,
  wsConcurrency,
} from '@tickstorm/loadlab/testing';
import {
  locustFailuresCsv,
  locustHistoryCsv,
  locustStatsCsv,
  splitCsvLines,
  writeLocustCsv,
} from '../src/report/locust-csv.ts';

// The header rows as Locust 2.x writes them (locust/stats.py: StatsCSV.requests_csv_columns,
// StatsCSVFileWriter.stats_history_csv_columns, failures_columns, exceptions_columns), with
// PERCENTILES_TO_REPORT = [0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0].
const LOCUST_STATS_HEADER =
  'Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,' +
  'Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%';
const LOCUST_HISTORY_HEADER =
  'Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,' +
  'Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,' +
  'Total Min Response Time,Total Max Response Time,Total Average Content Size';
const LOCUST_FAILURES_HEADER = 'Method,Name,Error,Occurrences';
const LOCUST_EXCEPTIONS_HEADER = 'Count,Message,Traceback,Nodes';

const dir = mkdtempSync(join(tmpdir(), 'loadlab-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('Locust CSV files', () => {
  it('writes the four files with Locust 2.x headers exactly, rows ended by \\r\\n', () => {
    const prefix = join(dir, 'run');
    const files = writeLocustCsv(prefix, buildRunReport([orderStress()]));
    assert.deepEqual(files, [
      `${prefix}_stats.csv`,
      `${prefix}_stats_history.csv`,
      `${prefix}_failures.csv`,
      `${prefix}_exceptions.csv`,
    ]);
    const first = (f: string) => readFileSync(f, 'utf8').split('\r\n')[0];
    assert.equal(first(files[0]), LOCUST_STATS_HEADER);
    assert.equal(first(files[1]), LOCUST_HISTORY_HEADER);
    assert.equal(first(files[2]), LOCUST_FAILURES_HEADER);
    assert.equal(first(files[3]), LOCUST_EXCEPTIONS_HEADER);
    const stats = readFileSync(files[0], 'utf8');
    assert.ok(stats.endsWith('\r\n'));
    assert.equal(stats.split('\n').length, stats.split('\r\n').length, 'every line ends with \\r\\n');
  });

  it('stats rows: entries sorted by name, Python number text, N/A for unrecorded percentiles, Aggregated last', () => {
    const lines = splitCsvLines(locustStatsCsv(handScenario()));
    assert.equal(lines.length, 4);
    assert.equal(lines[0], LOCUST_STATS_HEADER);
    assert.equal(
      lines[1],
      'GET,"/book/SYM0,depth=5",50,1,10,10.0,2.0,30.0,420.0,5.0,0.1,10,N/A,N/A,N/A,15,18,N/A,23,N/A,N/A,30',
    );
    assert.equal(
      lines[2],
      'POST,/orders,100,2,10,12.25,1.5,55.0,180.0,10.0,0.2,10,N/A,N/A,N/A,20,26,N/A,40,N/A,N/A,55',
    );
    // Aggregated: empty Type (Locust's method None), content size weighted by requests: (100*180+50*420)/150.
    assert.equal(
      lines[3],
      ',Aggregated,150,3,10,11.5,1.5,55.0,260.0,15.0,0.3,10,N/A,N/A,N/A,20,26,N/A,40,N/A,N/A,55',
    );
  });

  it("Aggregated Failures/s is rounded as Requests/s and the entries' rates are (2 decimals)", () => {
    const s = handScenario();
    s.durationSec = 7; // 3 failures / 7 s = 0.42857142857142855
    const agg = splitCsvLines(locustStatsCsv(s))[3].split(',');
    assert.equal(agg[1], 'Aggregated');
    assert.equal(agg[10], '0.43');
  });

  it('fills the extra percentile columns when latency_ms carries them', () => {
    const s = handScenario();
    Object.assign(s.entries[1].latency_ms, {
      p66: 11.2,
      p75: 12.6,
      p80: 13.1,
      p98: 20.4,
      p99_9: 29,
      p99_99: 29.9,
    });
    const row = splitCsvLines(locustStatsCsv(s))[1].split(',').slice(-11);
    assert.deepEqual(row, ['10', '11', '13', '13', '15', '18', '20', '23', '29', '30', '30']);
  });

  it('history rows: one Aggregated row per second, cumulative totals, N/A for an empty second', () => {
    const lines = splitCsvLines(locustHistoryCsv(handScenario()));
    assert.equal(lines[0], LOCUST_HISTORY_HEADER);
    assert.deepEqual(lines.slice(1), [
      `${FIXTURE_T0},5,,Aggregated,12.000000,1.000000,10,N/A,N/A,N/A,N/A,20,N/A,30,N/A,N/A,31,12,1,N/A,N/A,N/A,31.0,N/A`,
      `${FIXTURE_T0 + 1},10,,Aggregated,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,12,1,N/A,N/A,N/A,31.0,N/A`,
      `${FIXTURE_T0 + 2},10,,Aggregated,15.000000,0.000000,11,N/A,N/A,N/A,N/A,24,N/A,54,N/A,N/A,55,27,1,N/A,N/A,N/A,55.0,N/A`,
    ]);
  });

  it('--csv-full-history: a row per name before the Aggregated row; 0 in a quiet second, N/A before any', () => {
    const s = handScenario();
    const total = {
      requests: 12,
      failures: 1,
      p50: 9.6,
      mean: 10.25,
      min: 2,
      max: 31.5,
      avgContentLength: 40,
    };
    const more = { p66: 11, p75: 12, p80: 13, p90: 20, p98: 29, p99_9: 31, p99_99: 31 };
    s.timeseries[0].names = [
      {
        type: 'GET',
        name: '/a',
        requests: 12,
        failures: 1,
        p50: 9.6,
        p95: 20,
        p99: 30,
        max: 31.5,
        more,
        total,
      },
    ];
    s.timeseries[1].names = [
      { type: 'GET', name: '/a', requests: 0, failures: 0, p50: 0, p95: 0, p99: 0, max: 0, total },
    ];
    const lines = splitCsvLines(locustHistoryCsv(s));
    assert.deepEqual(lines.slice(1, 3), [
      `${FIXTURE_T0},5,GET,/a,12.000000,1.000000,10,11,12,13,20,20,29,30,31,31,32,12,1,10,10.25,2.0,31.5,40.0`,
      `${FIXTURE_T0},5,,Aggregated,12.000000,1.000000,10,N/A,N/A,N/A,N/A,20,N/A,30,N/A,N/A,31,12,1,N/A,N/A,N/A,31.0,N/A`,
    ]);
    assert.equal(
      lines[3],
      `${FIXTURE_T0 + 1},10,GET,/a,0.000000,0.000000,0,0,0,0,0,0,0,0,0,0,0,12,1,10,10.25,2.0,31.5,40.0`,
    );
    assert.equal(
      lines[4],
      `${FIXTURE_T0 + 1},10,,Aggregated,0.000000,0.000000,0,0,0,0,0,0,0,0,0,0,0,12,1,N/A,N/A,N/A,31.0,N/A`,
      "the Aggregated row of a quiet second too: Locust's current percentiles or 0",
    );
    s.timeseries[1].names = [{ ...s.timeseries[1].names[0], total: { ...total, requests: 0, failures: 0 } }];
    const none = splitCsvLines(locustHistoryCsv(s))[3].split(',');
    assert.deepEqual(none.slice(6, 17), Array(11).fill('N/A'), 'no request yet: N/A, as Locust');
  });

  it("history Total counts: the series' own (since a stats reset) when it carries them", () => {
    const s = handScenario();
    const figures = { p50: 10, mean: 10, min: 2, avgContentLength: 5 };
    s.timeseries[0].total = { ...figures, requests: 12, failures: 1, max: 31 };
    delete s.timeseries[1].total; // a reset, nothing since
    s.timeseries[2].total = { ...figures, requests: 15, failures: 0, max: 55 };
    const totals = splitCsvLines(locustHistoryCsv(s))
      .slice(1)
      .map((l) => l.split(',').slice(17, 19).join(' '));
    assert.deepEqual(totals, ['12 1', '0 0', '15 0']);
  });

  it('failures rows quote commas and quotes the way Python csv does', () => {
    assert.deepEqual(splitCsvLines(locustFailuresCsv(handScenario())), [
      LOCUST_FAILURES_HEADER,
      'POST,/orders,"HTTP 503: overloaded, retry later",2',
      'GET,"/book/SYM0,depth=5","HTTP 503: ""busy""",1',
    ]);
  });

  it('a random fixture agrees with itself: Aggregated counts are the sums of the entries', () => {
    const s = orderStress();
    const rows = splitCsvLines(locustStatsCsv(s)).map((l) => l.split(','));
    const entries = rows.slice(1, -1);
    const agg = rows[rows.length - 1];
    assert.equal(agg[1], 'Aggregated');
    assert.equal(
      Number(agg[2]),
      entries.reduce((a, r) => a + Number(r[2]), 0),
    );
    assert.equal(
      Number(agg[3]),
      entries.reduce((a, r) => a + Number(r[3]), 0),
    );
    assert.equal(Number(agg[2]), s.requests);
  });

  it('several scenarios: one file set per scenario, named by scenario', () => {
    const prefix = join(dir, 'multi');
    const files = writeLocustCsv(prefix, buildRunReport([orderStress(), wsConcurrency()]));
    assert.equal(files.length, 8);
    assert.ok(files.includes(`${prefix}_order-stress_stats.csv`));
    assert.ok(files.includes(`${prefix}_ws-concurrency_stats_history.csv`));
    assert.equal(
      readFileSync(`${prefix}_ws-concurrency_stats.csv`, 'utf8').split('\r\n')[0],
      LOCUST_STATS_HEADER,
    );
  });
});
