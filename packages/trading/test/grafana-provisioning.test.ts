/**
 * The Grafana files under monitoring/ work in both layouts a user meets:
 *
 * - docker-compose.observability.yml: monitoring/grafana/provisioning/ is Grafana's
 *   provisioning directory (a Prometheus data source, a dashboard provider) and the dashboards
 *   folder is mounted at /var/lib/grafana/dashboards;
 * - a plain compose file that mounts ./monitoring/grafana/dashboards itself at
 *   /etc/grafana/provisioning/dashboards and provisions no data source: Grafana reads only the
 *   provider files (*.yml) there, so the folder carries one that loads the *.json beside it,
 *   and the dashboard picks its Prometheus through a data-source variable (any Prometheus data
 *   source the user adds), not a fixed uid.
 *
 * Static checks of the files (no Grafana on the test machine).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/child-process.ts';

const GRAFANA = join(REPO_ROOT, 'monitoring', 'grafana');
const DASHBOARDS = join(GRAFANA, 'dashboards');
/** Grafana's reference to the dashboard variable named datasource. */
const DATASOURCE_VAR = ['$', '{datasource}'].join('');

/** The `path:` of each file provider in a provisioning file (the files are small and flat). */
function providerPaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^apiVersion: 1$/m, `${file}: apiVersion 1`);
  assert.match(text, /^\s+type: file$/m, `${file}: a file provider`);
  return [...text.matchAll(/^\s+path: (\S+)$/gm)].map((m) => m[1]);
}

// biome-ignore lint/suspicious/noExplicitAny: a Grafana dashboard, checked field by field
function datasources(panel: any): unknown[] {
  const out: unknown[] = [];
  if (panel.datasource !== undefined) out.push(panel.datasource);
  for (const t of panel.targets ?? []) if (t.datasource !== undefined) out.push(t.datasource);
  for (const p of panel.panels ?? []) out.push(...datasources(p));
  return out;
}

test('the dashboards folder mounted as the provisioning directory loads its own dashboards', () => {
  const ymls = readdirSync(DASHBOARDS).filter((n) => /\.ya?ml$/.test(n));
  assert.ok(ymls.length > 0, 'a provider file in monitoring/grafana/dashboards');
  const paths = ymls.flatMap((n) => providerPaths(join(DASHBOARDS, n)));
  assert.deepEqual(paths, ['/etc/grafana/provisioning/dashboards']);
});

test("docker-compose.observability.yml's layout: the provider reads where the folder is mounted", () => {
  const compose = readFileSync(join(REPO_ROOT, 'docker-compose.observability.yml'), 'utf8');
  assert.match(compose, /- \.\/monitoring\/grafana\/dashboards:\/var\/lib\/grafana\/dashboards/);
  assert.match(compose, /- \.\/monitoring\/grafana\/provisioning:\/etc\/grafana\/provisioning/);
  const dir = join(GRAFANA, 'provisioning', 'dashboards');
  const paths = readdirSync(dir).flatMap((n) => providerPaths(join(dir, n)));
  assert.deepEqual(paths, ['/var/lib/grafana/dashboards']);
});

test('every panel and query picks Prometheus through the data-source variable', () => {
  const files = readdirSync(DASHBOARDS).filter((n) => n.endsWith('.json'));
  assert.ok(files.length > 0);
  for (const f of files) {
    const d = JSON.parse(readFileSync(join(DASHBOARDS, f), 'utf8'));
    const v = (d.templating?.list ?? []).find((x: { name?: string }) => x.name === 'datasource');
    assert.ok(v !== undefined, `${f}: a "datasource" variable`);
    assert.equal(v.type, 'datasource');
    assert.equal(v.query, 'prometheus');
    const refs = (d.panels ?? []).flatMap(datasources);
    assert.ok(refs.length > 0, `${f}: panels with a data source`);
    for (const r of refs) assert.deepEqual(r, { type: 'prometheus', uid: DATASOURCE_VAR }, f);
  }
});
