/**
 * The Grafana files as Grafana reads them, in the two ways of mounting them:
 * - docker-compose.observability.yml: monitoring/grafana/provisioning at
 *   /etc/grafana/provisioning (a Prometheus data source, and a dashboards provider pointing at
 *   /var/lib/grafana/dashboards, where the compose mounts monitoring/grafana/dashboards);
 * - monitoring/grafana/dashboards mounted alone as /etc/grafana/provisioning/dashboards: a
 *   provider file in it points at that folder, so the dashboard loads there too.
 * Either way every panel queries the dashboard's `datasource` variable (a Prometheus data
 * source: the provisioned one, or one added by hand), never a fixed uid that may not exist.
 * No Grafana runs here: Grafana's rules are applied to the files (a provisioning folder's
 * *.yml/*.yaml are providers; a file provider loads the *.json under its path).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROVISIONING = '/etc/grafana/provisioning';

/** Container path -> repo path under `mounts` (the longest mount that contains it). */
function hostPath(mounts: Record<string, string>, path: string): string | undefined {
  const m = Object.keys(mounts)
    .filter((c) => path === c || path.startsWith(`${c}/`))
    .sort((a, b) => b.length - a.length)[0];
  return m === undefined ? undefined : join(mounts[m], path.slice(m.length));
}

/** The dashboards Grafana loads with these mounts (file names of the JSON). */
function loadedDashboards(mounts: Record<string, string>): string[] {
  const dir = hostPath(mounts, `${PROVISIONING}/dashboards`);
  if (dir === undefined || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.match(text, /^apiVersion: 1$/m, f);
    assert.match(text, /^\s+type: file$/m, f);
    for (const [, path] of text.matchAll(/^\s+path: (\S+)$/gm)) {
      const p = hostPath(mounts, path);
      if (p === undefined || !existsSync(p) || !statSync(p).isDirectory()) continue;
      out.push(...readdirSync(p).filter((n) => n.endsWith('.json')));
    }
  }
  return out;
}

/** The Grafana service's `./host:/container[:ro]` volumes in docker-compose.observability.yml. */
function composeMounts(): Record<string, string> {
  const compose = readFileSync(join(ROOT, 'docker-compose.observability.yml'), 'utf8');
  const grafana = compose.slice(compose.indexOf('\n  grafana:'));
  const mounts: Record<string, string> = {};
  for (const [, host, container] of grafana.matchAll(/^\s+- \.\/(\S+?):(\/\S+?)(?::ro)?$/gm)) {
    mounts[container] = join(ROOT, host);
  }
  return mounts;
}

test('the compose mounts load the Tickstorm dashboard and a default Prometheus data source', () => {
  const mounts = composeMounts();
  assert.deepEqual(loadedDashboards(mounts), ['tickstorm.json']);
  const ds = readdirSync(hostPath(mounts, `${PROVISIONING}/datasources`)!);
  const text = ds
    .map((f) => readFileSync(join(hostPath(mounts, `${PROVISIONING}/datasources`)!, f), 'utf8'))
    .join('\n');
  assert.match(text, /^\s+type: prometheus$/m);
  assert.match(text, /^\s+isDefault: true$/m);
});

test('the dashboards folder mounted alone as the provisioning folder loads the dashboard', () => {
  const mounts = { [`${PROVISIONING}/dashboards`]: join(ROOT, 'monitoring', 'grafana', 'dashboards') };
  assert.deepEqual(loadedDashboards(mounts), ['tickstorm.json']);
});

test("every panel and query uses the dashboard's Prometheus data source variable", () => {
  const d = JSON.parse(
    readFileSync(join(ROOT, 'monitoring', 'grafana', 'dashboards', 'tickstorm.json'), 'utf8'),
  );
  const v = d.templating.list.find((x: { type: string }) => x.type === 'datasource');
  assert.ok(v !== undefined, 'a datasource variable');
  assert.equal(v.query, 'prometheus');
  const refs: { uid: string; type: string }[] = [];
  for (const p of d.panels) {
    if (p.type === 'row') continue;
    refs.push(p.datasource);
    for (const t of p.targets) refs.push(t.datasource);
  }
  assert.ok(refs.length >= 40, `references: ${refs.length}`);
  for (const r of refs) assert.deepEqual(r, { type: 'prometheus', uid: `\${${v.name}}` });
});
