/**
 * Scrape job names as the shipped rules and dashboard expect them: every `job_name` of
 * monitoring/prometheus.yml (its commented jobs too) and of the YAML examples in docs/*.md is a
 * system job, which the rules' `up{job=~"tickstorm.*"}` (TickstormTargetDown) selects, or a load
 * generator job (targets on the generator port 9464), which must be the `job` the dashboard's
 * generator panel selects (`loadgen`) and must not match that selector: a generator's target is
 * down whenever no run goes, and monitoring.md says it is not alerted on. Before, the example of
 * docs/monitoring.md named its generators' job `tickstorm-generators`: TickstormTargetDown
 * (critical) fired between runs and the generator CPU panel stayed empty.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const read = (...p: string[]) => readFileSync(join(ROOT, ...p), 'utf8');

interface Job {
  where: string;
  name: string;
  targets: string[];
}

/** The jobs of a Prometheus config text (commented-out lines read as lines). */
function jobsOf(where: string, yaml: string): Job[] {
  const jobs: Job[] = [];
  for (const raw of yaml.split('\n')) {
    const line = raw.replace(/^(\s*)#\s?/, '$1');
    const name = /-\s*job_name:\s*["']?([\w.-]+)/.exec(line);
    if (name !== null) jobs.push({ where, name: name[1], targets: [] });
    const targets = /targets:\s*\[([^\]]*)\]/.exec(line);
    if (targets !== null && jobs.length > 0) {
      jobs[jobs.length - 1].targets.push(
        ...targets[1].split(',').map((t) => t.trim().replace(/^["']|["']$/g, '')),
      );
    }
  }
  return jobs;
}

test('system jobs match the rules, generator jobs are the dashboard\'s "loadgen" and do not', () => {
  const rules = read('monitoring', 'rules', 'tickstorm.rules.yml');
  const selector = /up\{job=~"([^"]+)"\}/.exec(rules)?.[1];
  assert.ok(selector !== undefined, 'TickstormTargetDown selects up{job=~"..."}');
  const system = new RegExp(`^(?:${selector})$`);
  const dashboard = read('monitoring', 'grafana', 'dashboards', 'tickstorm.json');
  // the generator panel's own CPU: the one job the dashboard names
  const generatorJob = /process_cpu_seconds_total\{job=\\"([\w.-]+)\\"\}/.exec(dashboard)?.[1];
  assert.equal(generatorJob, 'loadgen');

  const jobs = jobsOf('monitoring/prometheus.yml', read('monitoring', 'prometheus.yml'));
  for (const f of readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) {
    for (const [, yaml] of read('docs', f).matchAll(/```ya?ml\n([\s\S]*?)```/g))
      jobs.push(...jobsOf(`docs/${f}`, yaml));
  }
  assert.ok(jobs.length >= 5, JSON.stringify(jobs));
  const wrong: string[] = [];
  for (const j of jobs) {
    const generator = j.targets.length > 0 && j.targets.every((t) => t.endsWith(':9464'));
    if (generator && (j.name !== generatorJob || system.test(j.name))) {
      wrong.push(`${j.where}: generator job ${j.name} (the dashboard selects job="${generatorJob}")`);
    }
    if (!generator && !system.test(j.name))
      wrong.push(`${j.where}: system job ${j.name} not selected by ${selector}`);
  }
  assert.deepEqual(wrong, []);
});
