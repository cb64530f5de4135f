/**
 * `tickstorm merge A.json B.json … [--json OUT] [--csv PREFIX] [--html FILE]`: adds up the
 * `--json` reports of runs made on separate machines. Scenarios of the same name merge
 * from their encoded HdrHistograms, exactly (merged percentiles equal one run over every
 * request). Prints the Sample Results table of each scenario. A file that cannot be read or
 * merged exits 104, naming it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  evaluateThresholds,
  exitCodeFor,
  gatherThresholds,
  LabError,
  mergeRunReports,
  readJsonReport,
  renderSampleResults,
  thresholdLines,
  writeReports,
} from '@tickstorm/loadlab';
import type { Command } from 'commander';
import { packageVersion } from './run.ts';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export interface MergeOptions {
  json?: string;
  csv?: string;
  html?: string;
  threshold?: string[];
}

export async function mergeCommand(files: string[], o: MergeOptions): Promise<number> {
  const th = gatherThresholds(o.threshold ?? [], []);
  if (th.problems.length > 0) {
    console.error(`tickstorm merge: ${th.problems.join('; ')}`);
    return EXIT_INVALID_CONFIG;
  }
  try {
    const runs = files.map((source) => ({ source, report: readJsonReport(source) }));
    const run = mergeRunReports(runs, packageVersion());
    const results = evaluateThresholds(run, th.thresholds);
    run.thresholds = results;
    run.exitCode = exitCodeFor(run);
    const parts = run.scenarios.map(
      (s) => `${s.scenario} (${files.length} reports merged)\n${renderSampleResults(s)}`,
    );
    const lines = thresholdLines(results);
    if (lines.length > 0) parts.push(lines.join('\n'));
    console.log(parts.join('\n\n'));
    for (const f of [o.json, o.csv, o.html]) if (f) mkdirSync(dirname(f), { recursive: true });
    const written = await writeReports(
      run,
      { json: o.json, csv: o.csv, html: o.html },
      { title: `Tickstorm merged report (${files.length} runs)` },
    );
    if (written.length > 0) console.log(`\nWritten:\n${written.map((f) => `  ${f}`).join('\n')}`);
    return run.exitCode;
  } catch (e) {
    console.error(`tickstorm merge: ${(e as Error).message}`);
    return e instanceof LabError ? e.exitCode : EXIT_ERROR;
  }
}

export function registerMergeCommand(program: Command): Command {
  return program
    .command('merge')
    .argument('<reports...>', 'the --json reports to merge (from run or swarm, on any machine)')
    .description('merge --json reports of runs made on separate machines, exactly (encoded HdrHistograms)')
    .option('--json <file>', 'the merged report as JSON (mergeable again)')
    .option('--csv <prefix>', 'Locust-compatible CSVs of the merged report')
    .option('--html <file>', 'HTML report of the merged runs')
    .option(
      '--threshold <expr>',
      "pass/fail criterion on the merged figures, e.g. 'p95<500ms' (repeatable)",
      collect,
    )
    .action(async (files: string[], o: MergeOptions) => {
      process.exitCode = await mergeCommand(files, o);
    });
}
