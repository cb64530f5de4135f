/**
 * Validation for a run of a scenario suite, up front and complete: every problem (unknown
 * scenario, unknown flag, bad value, a flag no selected scenario takes, each scenario's own
 * validate(), the suite's target flags, threshold syntax, a threshold naming a scenario not in
 * the run, config file problems) is collected, each naming its flag, before anything runs.
 * No problems -> a RunPlan.
 */
import { existsSync } from 'node:fs';
import { loadClientCertFiles } from '../clients/client-cert.ts';
import { loadCaFile, type TlsOptions } from '../clients/tls-options.ts';
import { gatherThresholds, type Threshold, unknownScenarios } from '../gates/thresholds.ts';
import type { ExecutionSegment } from '../generator/execution-segment.ts';
import { parseOut } from '../report/k6-json-out.ts';
import type { ReportFiles } from '../report/write-reports.ts';
import type { WatchTarget } from '../resources/resource-watch.ts';
import type { ScenarioDefinition } from '../scenario/scenario.ts';
import type { ScenarioSuite } from '../scenario/suite.ts';
import { baseParams, coerceParam, findSpec, paramFlagUnion, suggest } from './param-flags.ts';
import { loadRunConfig } from './run-config.ts';

export interface RunInput {
  /** Scenario ids as typed; 'all' selects every scenario; comma lists allowed. */
  scenarios: readonly string[];
  /** The suite's target flags (no dashes) -> value as typed. */
  targets?: Readonly<Record<string, string | undefined>>;
  full?: boolean;
  workers?: string | number;
  thresholds?: readonly string[];
  config?: string;
  json?: string;
  csv?: string;
  resultsCsv?: string;
  html?: string;
  junit?: string;
  watchPids?: readonly string[];
  /** false: no resource watch (--no-watch). */
  watch?: boolean;
  /** The suite's prelude (--bench); undefined: on for `all`, off otherwise. */
  prelude?: boolean;
  gateResources?: boolean;
  /** --out values (json=FILE). */
  out?: readonly string[];
  /** --insecure: do not verify https/wss certificates. */
  insecure?: boolean;
  /** --ca FILE: extra trusted PEM certificates. */
  ca?: string;
  /** --cert FILE / --key FILE: the PEM client certificate presented to every host (mutual TLS). */
  cert?: string;
  key?: string;
  /** Scenario flags given on the command line: flag (no dashes) -> raw value. */
  params?: ReadonlyMap<string, unknown>;
  /** Options commander did not know (with allowUnknownOption). */
  unknownOptions?: readonly string[];
  /** Known flags of the command, for "did you mean" hints. */
  knownFlags?: readonly string[];
  /**
   * Parameters set elsewhere (a `run --master`'s test, as its plan resolved them): scenario
   * id -> key -> value; over the defaults and --config, under flags. `source` names them in problems.
   */
  preset?: { source: string; params: Readonly<Record<string, Readonly<Record<string, unknown>>>> };
  /** Run only this part of the load (default: the whole). */
  segment?: ExecutionSegment;
}

export interface PlannedScenario<T = unknown> {
  def: ScenarioDefinition<T>;
  params: Record<string, unknown>;
}

export interface RunPlan<T = unknown> {
  suite: ScenarioSuite<T>;
  scenarios: PlannedScenario<T>[];
  urls: T;
  /** For the report: the host, or the URLs when given one by one. */
  target: string;
  workers: number | 'auto';
  thresholds: Threshold[];
  files: ReportFiles;
  resultsCsv?: string;
  /** --out json=FILE: k6's JSON lines. */
  outJson?: string;
  watch: WatchTarget[];
  /** Run the suite's prelude first. */
  prelude: boolean;
  gateResources: boolean;
  tls: TlsOptions;
  /** Only this part of the load (absent: the whole). */
  segment?: ExecutionSegment;
}

function selectScenarios<T>(
  defs: readonly ScenarioDefinition<T>[],
  names: readonly string[],
  problems: string[],
) {
  const ids = defs.map((d) => d.id as string);
  const chosen = new Set<string>();
  const tokens = names
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (tokens.length === 0) problems.push(`no scenario given: name one of ${ids.join(', ')}, or all`);
  for (const t of tokens) {
    if (t === 'all') for (const id of ids) chosen.add(id);
    else if (ids.includes(t)) chosen.add(t);
    else {
      const hint = suggest(t, [...ids, 'all']);
      problems.push(
        `unknown scenario '${t}'${hint ? ` (did you mean '${hint}'?)` : ''}: use ${ids.join(', ')}, or all`,
      );
    }
  }
  // Run in the suite's order, whatever order they were typed in.
  return { selected: defs.filter((d) => chosen.has(d.id)), all: tokens.includes('all') };
}

function parseWorkers(raw: string | number | undefined, problems: string[]): number | 'auto' {
  if (raw === undefined || raw === 'auto') return 'auto';
  const n = Number(raw);
  if (Number.isInteger(n) && n > 0) return n;
  problems.push(`--workers must be a positive integer or auto (got '${raw}')`);
  return 'auto';
}

function parseWatch<T>(input: RunInput, suite: ScenarioSuite<T>, urls: T, problems: string[]): WatchTarget[] {
  const pids = input.watchPids ?? [];
  if (input.watch === false) return [];
  const out: WatchTarget[] = [];
  for (const raw of pids) {
    const pid = Number(raw);
    if (!Number.isInteger(pid) || pid <= 0) problems.push(`--watch-pid must be a process id (got '${raw}')`);
    else if (!existsSync(`/proc/${pid}/stat`))
      problems.push(`--watch-pid ${pid}: no such process on this machine`);
    else out.push({ kind: 'pid', pid });
  }
  if (pids.length === 0) {
    const w = suite.target.defaultWatch?.(urls);
    if (w !== undefined) out.push(w);
  }
  return out;
}

export function planRun<T>(
  suite: ScenarioSuite<T>,
  input: RunInput,
): { plan?: RunPlan<T>; problems: string[] } {
  const defs = suite.scenarios;
  const problems: string[] = [];
  for (const opt of input.unknownOptions ?? []) {
    const name = opt.replace(/^-+/, '').split('=')[0];
    const hint = suggest(name, input.knownFlags ?? []);
    problems.push(`unknown option '${opt}'${hint ? ` (did you mean --${hint}?)` : ''}`);
  }
  const { selected, all } = selectScenarios(defs, input.scenarios, problems);
  const target = suite.target.resolve(input.targets ?? {});
  problems.push(...target.problems);
  const workers = parseWorkers(input.workers, problems);

  // Parameters: defaults (or --full) < --config params < flags.
  let configThresholds: string[] = [];
  const fromConfig: Record<string, Record<string, unknown>> = {};
  if (input.config !== undefined) {
    const c = loadRunConfig(input.config);
    problems.push(...c.problems);
    configThresholds = c.config.thresholds;
    Object.assign(fromConfig, c.config.params);
    for (const id of Object.keys(fromConfig)) {
      if (!defs.some((d) => d.id === id))
        problems.push(
          `--config ${input.config}: params["${id}"]: no such scenario (use ${defs.map((d) => d.id).join(', ')})`,
        );
    }
  }
  const union = paramFlagUnion(defs);
  for (const [flag] of input.params ?? []) {
    const owners = union.find((f) => f.flag === flag)?.owners ?? [];
    if (selected.length > 0 && !owners.some((o) => selected.some((s) => s.id === o.scenario)))
      problems.push(
        `--${flag} applies to ${owners.map((o) => o.scenario).join(', ')}, which this run does not include`,
      );
  }
  const scenarios: PlannedScenario<T>[] = [];
  for (const def of selected) {
    const params = baseParams(def, input.full === true);
    for (const [name, raw] of Object.entries(fromConfig[def.id] ?? {})) {
      const spec = findSpec(def, name);
      const where = `--config ${input.config}: params["${def.id}"].${name}`;
      if (spec === undefined) problems.push(`${where}: ${def.id} has no parameter '${name}'`);
      else {
        const r = coerceParam(spec, raw, where);
        if (r.problem !== undefined) problems.push(r.problem);
        else params[spec.key] = r.value;
      }
    }
    for (const [name, raw] of Object.entries(input.preset?.params[def.id] ?? {})) {
      const spec = findSpec(def, name);
      const where = `${input.preset?.source}: ${def.id}.${name}`;
      if (spec === undefined) problems.push(`${where}: ${def.id} has no parameter '${name}' here`);
      else {
        const r = coerceParam(spec, raw, where);
        if (r.problem !== undefined) problems.push(r.problem);
        else params[spec.key] = r.value;
      }
    }
    const reported: string[] = [];
    for (const spec of def.params) {
      if (!input.params?.has(spec.flag)) continue;
      const raw = input.params.get(spec.flag);
      const r = coerceParam(spec, raw, `--${spec.flag}`);
      params[spec.key] = r.problem === undefined ? r.value : raw;
      if (r.problem === undefined) continue;
      reported.push(`--${spec.flag} `);
      if (!problems.includes(r.problem)) problems.push(r.problem);
    }
    // The scenario's own checks, on everything else (a value already reported is not repeated).
    for (const p of def.validate(params)) {
      if (!reported.some((flag) => p.startsWith(flag))) problems.push(`${def.id}: ${p}`);
    }
    scenarios.push({ def, params });
  }

  const gathered = gatherThresholds([...(input.thresholds ?? []), ...configThresholds]);
  problems.push(...gathered.problems);
  problems.push(
    ...unknownScenarios(
      gathered.thresholds,
      selected.map((s) => s.id),
    ),
  );
  const watch = parseWatch(input, suite, target.urls, problems);
  const ca = loadCaFile(input.ca, problems);
  const clientCert = loadClientCertFiles(input.cert, input.key, problems);
  const out = parseOut(input.out ?? [], problems);
  if (problems.length > 0) return { problems };

  return {
    problems,
    plan: {
      suite,
      scenarios,
      urls: target.urls,
      target: target.label,
      workers,
      thresholds: gathered.thresholds,
      files: { json: input.json, csv: input.csv, html: input.html, junit: input.junit },
      resultsCsv: input.resultsCsv,
      outJson: out.json,
      watch,
      prelude: suite.prelude !== undefined && (input.prelude ?? all),
      gateResources: input.gateResources === true,
      tls: {
        insecure: input.insecure === true,
        ...(ca === undefined ? {} : { ca }),
        ...(clientCert === undefined ? {} : { clientCerts: [clientCert] }),
      },
      ...(input.segment === undefined ? {} : { segment: input.segment }),
    },
  };
}
