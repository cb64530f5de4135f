/**
 * The shipped Prometheus files as Prometheus reads them (Debian's `promtool`, installed by
 * .ci/run): monitoring/prometheus.yml is a valid config whose rule_files find
 * monitoring/rules/tickstorm.rules.yml, the rules are valid, and their unit tests
 * (monitoring/rules/tickstorm.test.yml) pass. In docker-compose.observability.yml the rules
 * are mounted where the container's /etc/prometheus/prometheus.yml looks for them. A real
 * Prometheus evaluating them against the system under load:
 * packages/trading/test/prometheus-dashboard.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROMTOOL = '/usr/bin/promtool';

function promtool(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('monitoring/prometheus.yml and its rules pass promtool', {
  skip: existsSync(PROMTOOL) ? false : `${PROMTOOL} is not installed (.ci/run installs it)`,
}, () => {
  test('check config: valid, and its rule_files find the rules', () => {
    const r = promtool('check', 'config', 'monitoring/prometheus.yml');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS: 1 rule files found/);
    assert.match(r.out, /monitoring\/rules\/tickstorm\.rules\.yml/);
    assert.doesNotMatch(r.out, /WARNING/);
  });

  test('check rules: every rule file is valid', () => {
    const files = readdirSync(join(ROOT, 'monitoring', 'rules')).filter((f) => f.endsWith('.rules.yml'));
    assert.ok(files.length > 0);
    const r = promtool('check', 'rules', ...files.map((f) => `monitoring/rules/${f}`));
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /WARNING|FAILED/);
  });

  test('test rules: the shipped unit tests of the alerts and recordings pass', () => {
    const r = promtool('test', 'rules', 'monitoring/rules/tickstorm.test.yml');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });
});

test('the compose mounts the rules where the container config looks for them', () => {
  const compose = readFileSync(join(ROOT, 'docker-compose.observability.yml'), 'utf8');
  const prometheus = compose.slice(compose.indexOf('\n  prometheus:'), compose.indexOf('\n  grafana:'));
  const mounts = new Map<string, string>();
  for (const [, host, container] of prometheus.matchAll(/^\s+- \.\/(\S+?):(\/\S+?)(?::ro)?$/gm))
    mounts.set(container, host);
  assert.equal(mounts.get('/etc/prometheus/prometheus.yml'), 'monitoring/prometheus.yml');
  // rule_files are relative to the config file's directory
  const config = readFileSync(join(ROOT, 'monitoring', 'prometheus.yml'), 'utf8');
  const globs = [...config.matchAll(/^rule_files:\n((?:\s+- \S+\n)+)/gm)].flatMap((m) =>
    [...m[1].matchAll(/- (\S+)/g)].map((g) => g[1]),
  );
  assert.deepEqual(globs, ['rules/*.rules.yml']);
  assert.equal(mounts.get('/etc/prometheus/rules'), 'monitoring/rules');
});
