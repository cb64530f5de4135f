/**
 * `tickstorm merge A.json B.json … [--json OUT] [--csv PREFIX] [--html FILE] [--junit FILE]`:
 * adds up the `--json` reports of runs made on separate machines. Scenarios of the same name
 * merge from their encoded HdrHistograms, exactly (merged percentiles equal one run over
 * every request). Prints the Sample Results table of each scenario. A file that cannot be
 * read or merged exits 104, naming it (every such file and bad --threshold listed at once), and so
 * does a report given twice (the same path, or a copy), whose requests would count twice.
 *
 * Script runs: their script sections (Counters, Rates, checks, iterations as sums, Trends as
 * histograms) are added exactly by the code `run --master` uses (checkScriptOnWhole), and
 * the options.thresholds the reports carry are checked again on the merged whole: the whole
 * decides (99 when one fails), each part's own verdicts are shown. Reports whose thresholds
 * differ: all of them are checked (the union), the differences printed; a custom metric of
 * two kinds exits 104 naming the reports.
 */

import { dirname, resolve } from 'node:path';
import type { RunReport } from '@tickstorm/loadlab';
import {
  checkScriptOnWhole,
  EXIT_ERROR,
  EXIT_INVALID_CONFIG,
  EXIT_OK,
  EXIT_THRESHOLDS_FAILED,
  evaluateThresholds,
  exitCodeFor,
  gatherThresholds,
  LabError,
  mergeRunReports,
  problemsText,
  readJsonReport,
  renderSampleResults,
  scriptGatesOfReports,
  scriptWholeLines,
  thresholdLines,
  verdictLine,
  writeReports,
} from '@tickstorm/loadlab';
import { makeDir } from '@tickstorm/protocol';
import type { Command } from 'commander';
import { packageVersion } from './package-version.ts';

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export interface MergeOptions {
  json?: string;
  csv?: string;
  html?: string;
  junit?: string;
  threshold?: string[];
}

/**
 * A report given twice (the same path, or a copy: the same start, end and histograms) would
 * count its requests twice: one problem per repeat, naming both files.
 */
function sameRunTwice(runs: readonly { source: string; report: RunReport }[]): string[] {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const { source, report } of runs) {
    const key = JSON.stringify([
      report.startedAt,
      report.finishedAt,
      report.scenarios.map((s) => [s.scenario, s.entries.map((e) => e.histogram?.hdr ?? null)]),
    ]);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, source);
    else
      problems.push(
        resolve(first) === resolve(source)
          ? `${source} is given twice: its requests would count twice`
          : `${source} holds the same run as ${first} (same start, end and histograms): its requests would count twice`,
      );
  }
  return problems;
}

export async function mergeCommand(files: string[], o: MergeOptions): Promise<number> {
  // every problem at once: each --threshold, and each file that cannot be read as a report
  const problems = [...gatherThresholds(o.threshold ?? [], []).problems];
  const runs: { source: string; report: RunReport }[] = [];
  for (const source of files)
    try {
      runs.push({ source, report: readJsonReport(source) });
    } catch (e) {
      problems.push((e as Error).message);
    }
  problems.push(...sameRunTwice(runs));
  if (problems.length > 0) {
    console.error(problemsText('tickstorm merge', problems));
    return EXIT_INVALID_CONFIG;
  }
  try {
    const run = mergeRunReports(runs, packageVersion());
    const parts = run.scenarios.map((s) => {
      const n = Number(s.extra?.runs ?? files.length);
      const from = n === files.length ? `${n} reports merged` : `in ${n} of the ${files.length} reports`;
      return `${s.scenario} (${from})\n${renderSampleResults(s)}`;
    });
    // as a master names a worker of another version: the figures add up, but say so
    const versions = [...new Set(runs.map((r) => r.report.version).filter((v) => v !== ''))];
    if (versions.length > 1)
      console.error(
        `tickstorm merge: note: the reports come from tickstorm ${versions.join(', ')}: run the same version everywhere`,
      );
    // Script runs: the sections the reports carry, added and checked on the whole.
    let script: ReturnType<typeof checkScript> | undefined;
    if (runs.some((r) => r.report.script !== undefined)) {
      script = checkScript(run, runs);
      if (script === null) return EXIT_INVALID_CONFIG;
    }
    // The lab's strings: --threshold, and the scripts' options.thresholds given as strings.
    const lab = gatherThresholds([...new Set([...(o.threshold ?? []), ...(script?.labStrings ?? [])])], []);
    if (lab.problems.length > 0) {
      console.error(`tickstorm merge: the reports' thresholds: ${lab.problems.join('; ')}`);
      return EXIT_INVALID_CONFIG;
    }
    const results = evaluateThresholds(run, lab.thresholds);
    run.thresholds = results;
    run.exitCode = exitCodeFor(run);
    const k6Failed = script?.failed ?? 0;
    if (k6Failed > 0 && run.exitCode === EXIT_OK) run.exitCode = EXIT_THRESHOLDS_FAILED;
    if (script) parts.push(script.text.join('\n'));
    const lines = thresholdLines(results);
    if (lines.length > 0) parts.push(lines.join('\n'));
    console.log(parts.join('\n\n'));
    for (const f of [o.json, o.csv, o.html, o.junit]) if (f) makeDir(dirname(f));
    const written = await writeReports(
      run,
      { json: o.json, csv: o.csv, html: o.html, junit: o.junit },
      { title: `Tickstorm merged report (${files.length} runs)` },
    );
    if (written.length > 0) console.log(`\nWritten:\n${written.map((f) => `  ${f}`).join('\n')}`);
    const failedTargets = run.scenarios.flatMap((s) =>
      s.targets.filter((t) => !t.pass).map((t) => `${s.scenario} ${t.name}`),
    );
    console.log(
      `\n${verdictLine(
        run.exitCode,
        results.filter((t) => !t.pass).length + k6Failed,
        failedTargets,
        run.scenarios.some((s) => s.targets.length > 0),
      )}`,
    );
    return run.exitCode;
  } catch (e) {
    console.error(`tickstorm merge: ${(e as Error).message}`);
    return e instanceof LabError ? e.exitCode : EXIT_ERROR;
  }
}

/**
 * The reports' script sections merged into `run.script` and their options.thresholds checked
 * on the whole: the failures, the text to print, the lab's strings to check; null when they
 * cannot be merged (printed).
 */
function checkScript(
  run: RunReport,
  runs: readonly { source: string; report: RunReport }[],
): { failed: number; text: string[]; labStrings: string[] } | null {
  const g = scriptGatesOfReports(
    runs,
    run.scenarios.map((s) => s.scenario),
  );
  if (g.problems.length > 0) {
    console.error(
      [
        "tickstorm merge: the reports' script metrics cannot be merged:",
        ...g.problems.map((p) => `  - ${p}`),
      ].join('\n'),
    );
    return null;
  }
  if (g.differ.length > 0)
    console.error(
      [
        'tickstorm merge: note: the reports carry different options.thresholds; every one is checked on the merged whole:',
        ...g.differ.map((d) => `  - ${d}`),
      ].join('\n'),
    );
  const whole = checkScriptOnWhole(run, runs, g.gates);
  run.script = whole.section;
  const text = scriptWholeLines(
    whole,
    g.gates.declared,
    runs,
    `on the merged whole (${runs.length} reports)`,
  );
  for (const r of runs)
    if (r.report.exitCode !== EXIT_OK && r.report.exitCode !== EXIT_THRESHOLDS_FAILED)
      text.push(
        `  note: ${r.source} ended with exit code ${r.report.exitCode}${
          r.report.script?.abortedBy === undefined ? '' : ` (aborted by ${r.report.script.abortedBy})`
        }: its figures are what it ran`,
      );
  return { failed: whole.failed, text, labStrings: g.gates.labStrings };
}

export function registerMergeCommand(program: Command): Command {
  return (
    program
      .command('merge')
      .argument('<reports...>', 'the --json reports to merge (from run or swarm, on any machine)')
      .description(
        "merge --json reports of runs made on separate machines, exactly (encoded HdrHistograms); scripts' metrics are added and their options.thresholds checked on the merged whole (exit 99)",
      )
      .option('--json <file>', 'the merged report as JSON (mergeable again)')
      .option('--csv <prefix>', 'Locust-compatible CSVs of the merged report')
      .option('--html <file>', 'HTML report of the merged runs')
      .option('--junit <file>', 'JUnit XML of the merged thresholds')
      .option(
        '--threshold <expr>',
        "pass/fail criterion on the merged figures, e.g. 'p95<500ms' (repeatable)",
        collect,
      )
      .addHelpText(
        'after',
        '\nExit codes: 0 every threshold met on the merged figures, 99 one failed there, 104 a report missing,' +
          ' not JSON or without encoded histograms, the same run given twice (a path or a copy), reports that' +
          ' cannot be added up, or a bad flag, 1 another error.',
      )
      // A flag commander refuses (or no report named) is invalid configuration: 104.
      .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG))
      .action(async (files: string[], o: MergeOptions) => {
        process.exitCode = await mergeCommand(files, o);
      })
  );
}
