/** Shape checks shared by the scenario tests. */
import assert from 'node:assert/strict';
import type { ScenarioDefinition, ScenarioResult, TargetCheck } from '@tickstorm/loadlab';

/** The result is the model reports read: params filled from every ParamSpec, targets well-formed. */
export function assertResultShape(r: ScenarioResult, def: ScenarioDefinition, targetNames: string[]): void {
  assert.equal(r.scenario, def.id);
  for (const s of def.params) {
    // a parameter the others make meaningless (db-throughput's dbPath in http mode) is left out
    if (s.relevant?.(r.params) === false) assert.ok(!(s.key in r.params), `params.${s.key} left out`);
    else assert.ok(s.key in r.params, `params.${s.key} filled`);
  }
  assert.equal(typeof r.params.workers, 'number');
  assert.ok(r.durationSec > 0);
  assert.ok(r.startedAt > 1.6e12, 'startedAt is epoch ms');
  assert.equal(typeof r.generator.cpuPercent, 'number');
  assert.ok(Array.isArray(r.generator.warnings));
  assert.ok(r.timeseries.length >= 1);
  assert.deepEqual(
    r.targets.map((t) => t.name),
    targetNames,
  );
  for (const t of r.targets) {
    assert.equal(typeof t.target, 'string');
    assert.equal(typeof t.actual, 'string');
    assert.equal(typeof t.value, 'number');
    assert.equal(typeof t.unit, 'string');
    assert.equal(typeof t.pass, 'boolean');
  }
}

export function target(r: ScenarioResult, name: string): TargetCheck {
  const t = r.targets.find((x) => x.name === name);
  assert.ok(t, `target ${name}`);
  return t;
}

/** Every ParamSpec is complete and its flag kebab-case; defaults validate clean. */
export function assertParamSpecs(def: ScenarioDefinition): void {
  for (const s of def.params) {
    assert.match(s.flag, /^[a-z][a-z0-9-]*$/);
    assert.ok(s.help.length > 0);
    assert.ok(s.default !== undefined);
  }
  assert.deepEqual(def.validate({}), []);
  const full = Object.fromEntries(def.params.filter((s) => s.full !== undefined).map((s) => [s.key, s.full]));
  assert.deepEqual(def.validate(full), []);
}
