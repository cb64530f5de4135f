/**
 * Names drift: what the dashboards, the alert rules and docs/monitoring.md name is what the
 * processes expose. One TradingSystem of all four services (ports 0) and a load generator's
 * exporter fed one second are scraped; then
 * - every metric named by a PromQL expression of monitoring/grafana/dashboards/*.json and
 *   monitoring/rules/*.rules.yml is a family of those scrapes (or its _bucket/_sum/_count),
 * - every `tickstorm_*` family is in docs/monitoring.md (its table spells groups as
 *   `a_{b,c}_total`, labels as `name{label}`), and every `tickstorm_*` name the page gives is
 *   exposed (`tickstorm_instance_up` only with a bus: prometheus-bus.test.ts).
 * No Prometheus runs here; packages/trading/test/prometheus-dashboard.test.ts evaluates the
 * same expressions in a real one under load.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type LoadMetricsServer, startLoadMetricsServer } from '@tickstorm/loadlab';
import { TradingSystem } from '@tickstorm/trading';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUS_ONLY = new Set(['tickstorm_instance_up']);

/** `a_{b,c}_total` -> a_b_total, a_c_total; a brace group after a name (`x{label}`) is labels. */
function expand(token: string): string[] {
  const m = /_\{([a-z_,]+)\}/.exec(token);
  if (m === null) return [token.replace(/\{.*$/, '')];
  const head = token.slice(0, m.index + 1);
  const tail = token.slice(m.index + m[0].length);
  return m[1].split(',').flatMap((alt) => expand(`${head}${alt}${tail}`));
}

function documentedNames(): Set<string> {
  const page = readFileSync(join(ROOT, 'docs', 'monitoring.md'), 'utf8').replace(/```[\s\S]*?```/g, '');
  const names = new Set<string>();
  for (const [, span] of page.matchAll(/`([^`\n]+)`/g)) {
    for (const [token] of span.matchAll(/tickstorm_[a-z_]*(?:\{[a-z_,]+\}[a-z_]*)*/g)) {
      // `tickstorm_*` is the prefix, not a name
      for (const n of expand(token)) if (!n.endsWith('_')) names.add(n);
    }
  }
  return names;
}

/** Metric names in a PromQL expression: identifiers outside strings, not functions or keywords. */
function metricsIn(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map(([n]) => n)
    .filter((n) => /^(tickstorm|loadlab|process|nodejs)_/.test(n) && !n.includes(':'));
}

function exprsOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) exprsOf(v, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'expr' && typeof v === 'string') out.push(v);
      else exprsOf(v, out);
    }
  }
  return out;
}

function ruleExprs(): string[] {
  const dir = join(ROOT, 'monitoring', 'rules');
  const out: string[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.rules.yml'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    // `expr: ...` on one line, or a block scalar (`expr: |` / `>`) indented below it
    for (const m of text.matchAll(/^(\s*)expr:\s*(.*)\n((?:\1\s+.*\n)*)/gm)) {
      out.push(/^[|>]/.test(m[2]) ? m[3] : m[2]);
    }
  }
  return out;
}

const families = (text: string): string[] =>
  [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name]) => name);

describe('metric names of the dashboards, the rules and docs/monitoring.md are exposed', () => {
  let sys: TradingSystem | undefined;
  let gen: LoadMetricsServer | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-metric-names-'));
  const exposed = new Set<string>();

  before(async () => {
    sys = await TradingSystem.start({
      config: {
        host: '127.0.0.1',
        dataDir: dir,
        ports: { 'market-data': 0, 'execution-engine': 0, 'risk-manager': 0, api: 0 },
      },
      inputLog: false,
      report: () => {},
    });
    // an order answered, so tickstorm_orders_total{type,status} has a series
    const res = await fetch(`${sys.url('execution-engine')}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ symbol: 'AAPL', side: 'buy', type: 'limit', quantity: 1, price: 100 }),
    });
    await res.arrayBuffer();
    gen = await startLoadMetricsServer({ port: 0 });
    gen.observe('s', { t: 1, requests: 1, failures: 0, p50: 1, p95: 1, p99: 1, max: 1, active: 1 });
    for (const url of [`${sys.url('api')}/metrics`, gen.url]) {
      for (const f of families(await (await fetch(url)).text())) exposed.add(f);
    }
  });
  after(async () => {
    await gen?.close({ wait: false });
    await sys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const isExposed = (n: string) => exposed.has(n) || exposed.has(n.replace(/_(bucket|sum|count)$/, ''));

  test('every metric of the dashboards and the alert rules', () => {
    const dashboards = join(ROOT, 'monitoring', 'grafana', 'dashboards');
    const exprs = readdirSync(dashboards)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => exprsOf(JSON.parse(readFileSync(join(dashboards, f), 'utf8'))));
    const rules = ruleExprs();
    assert.ok(
      exprs.length > 10 && rules.length > 10,
      `${exprs.length} panel and ${rules.length} rule expressions`,
    );
    const used = new Set([...exprs, ...rules].flatMap(metricsIn));
    assert.ok(used.size > 10);
    assert.deepEqual(
      [...used].filter((n) => !isExposed(n)),
      [],
      'named but not exposed',
    );
  });

  test('docs/monitoring.md names every tickstorm_ family, and only those', () => {
    const documented = documentedNames();
    const own = [...exposed].filter((n) => n.startsWith('tickstorm_'));
    assert.ok(own.length > 30, own.join(' '));
    assert.deepEqual(
      own.filter((n) => !documented.has(n)),
      [],
      'exposed but not in docs/monitoring.md',
    );
    assert.deepEqual(
      [...documented].filter((n) => !isExposed(n) && !BUS_ONLY.has(n)),
      [],
      'in docs/monitoring.md but not exposed',
    );
  });
});
