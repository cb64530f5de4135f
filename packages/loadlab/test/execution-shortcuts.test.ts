/**
 * k6's command-line shortcuts over a script's options: the flags parsed (every problem at
 * once), and the options they make, as options.ts derives k6's shortcuts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyExecutionShortcuts, parseExecutionFlags, parseScriptOptions } from '@tickstorm/loadlab';

const fn = { default: () => undefined, login: () => undefined };
const executorOf = (raw: unknown, flags: Parameters<typeof parseExecutionFlags>[0]) => {
  const problems: string[] = [];
  const s = parseExecutionFlags(flags, problems);
  assert.deepEqual(problems, []);
  const r = parseScriptOptions(raw, fn, s);
  return { scenarios: r.options.scenarios.map((x) => [x.name, x.executor]), r };
};

test('the flags: none is undefined; stages split on commas; every bad value listed', () => {
  const problems: string[] = [];
  assert.equal(parseExecutionFlags({}, problems), undefined);
  assert.deepEqual(parseExecutionFlags({ stage: ['10s:5,1m:0', '5s:1'], vus: '2' }, problems), {
    vus: 2,
    stages: [
      { duration: '10s', target: 5 },
      { duration: '1m', target: 0 },
      { duration: '5s', target: 1 },
    ],
  });
  assert.deepEqual(problems, []);
  parseExecutionFlags({ vus: '1.5', iterations: '0', duration: '0s', stage: ['5s', '0s:1'] }, problems);
  assert.deepEqual(problems, [
    "--vus must be a positive integer (got '1.5')",
    "--iterations must be a positive integer (got '0')",
    "--duration must be a duration like 30s, 5m, 1h30m (got '0s')",
    "--stage must be DURATION:TARGET like 30s:10 (a duration, then the VUs to reach; got '5s')",
    '--stage: the stages must last longer than 0',
    "--iterations cannot be combined with --stage (as in k6: the stages set the run's length)",
    "--duration cannot be combined with --stage (as in k6: the stages set the run's length)",
  ]);
});

test('--duration/--iterations/--stage replace scenarios with one default; vus from the flag, the script, or 1', () => {
  const scen = { scenarios: { a: { executor: 'per-vu-iterations', vus: 9, iterations: 1, exec: 'login' } } };
  const d = executorOf(scen, { duration: '5s' });
  assert.deepEqual(d.scenarios, [['default', { executor: 'constant-vus', vus: 1, duration: '5s' }]]);
  assert.deepEqual(d.r.options.replaced, ['a']);
  assert.deepEqual(d.r.options.resolved.scenarios, {
    default: { executor: 'constant-vus', vus: 1, duration: '5s', exec: 'default' },
  });
  assert.deepEqual(executorOf({ vus: 4, duration: '1m' }, { iterations: '10', duration: '20s' }).scenarios, [
    ['default', { executor: 'shared-iterations', vus: 4, iterations: 10, maxDuration: '20s' }],
  ]);
  assert.deepEqual(executorOf({ iterations: 3 }, { stage: ['1s:2'], vus: '3' }).scenarios, [
    ['default', { executor: 'ramping-vus', stages: [{ duration: '1s', target: 2 }], startVUs: 3 }],
  ]);
  assert.deepEqual(executorOf(undefined, { stage: ['1s:2'] }).scenarios, [
    ['default', { executor: 'ramping-vus', stages: [{ duration: '1s', target: 2 }], startVUs: 1 }],
  ]);
});

test('--vus alone: over the shortcuts it sets vus; over scenarios a problem; the script’s options untouched', () => {
  assert.deepEqual(executorOf({ vus: 1, duration: '3s' }, { vus: '6' }).scenarios, [
    ['default', { executor: 'constant-vus', vus: 6, duration: '3s' }],
  ]);
  const raw = { scenarios: { a: { executor: 'constant-vus', vus: 2, duration: '1s' } } };
  const r = applyExecutionShortcuts(raw, { vus: 6 });
  assert.equal(r.raw, raw);
  assert.match(r.problems[0], /^--vus alone cannot apply to a script that defines options\.scenarios \(a\)/);
  const p = parseScriptOptions(raw, fn, { vus: 6 });
  assert.ok(p.problems.some((x) => x.startsWith('--vus alone')));
  assert.deepEqual(raw.scenarios.a, { executor: 'constant-vus', vus: 2, duration: '1s' });
});

test("over a script of shortcuts the merge is k6's, option by option: -d keeps its iterations, -i its duration", () => {
  // k6: `-d 10s` over { vus: 2, iterations: 100 } is shared-iterations, 100 at most, for 10s at most
  assert.deepEqual(executorOf({ vus: 2, iterations: 100 }, { duration: '10s' }).scenarios, [
    ['default', { executor: 'shared-iterations', vus: 2, iterations: 100, maxDuration: '10s' }],
  ]);
  // `-i 10` over { vus: 5, duration: '30s' }: 10 iterations, within the script's 30s
  assert.deepEqual(executorOf({ vus: 5, duration: '30s' }, { iterations: '10' }).scenarios, [
    ['default', { executor: 'shared-iterations', vus: 5, iterations: 10, maxDuration: '30s' }],
  ]);
  // over named scenarios nothing of theirs is kept
  const scen = { scenarios: { a: { executor: 'shared-iterations', vus: 2, iterations: 7 } } };
  assert.deepEqual(executorOf(scen, { duration: '3s' }).scenarios, [
    ['default', { executor: 'constant-vus', vus: 1, duration: '3s' }],
  ]);
});

test("the script's own shortcuts as k6: duration beside stages is a problem; a lone vus is one iteration on one VU, with a note", () => {
  const both = parseScriptOptions({ stages: [{ duration: '1s', target: 2 }], duration: '5s' }, fn);
  assert.deepEqual(both.problems, [
    "options.duration cannot be combined with options.stages (as in k6: the stages set the run's length)",
  ]);
  const lone = parseScriptOptions({ vus: 3 }, fn);
  assert.deepEqual(lone.problems, []);
  assert.deepEqual(
    lone.options.scenarios.map((x) => x.executor),
    [{ executor: 'shared-iterations', vus: 1, iterations: 1 }],
  );
  assert.match(
    lone.options.notes[0],
    /^note: options\.vus 3 is ignored: it works with a duration, iterations or stages/,
  );
  assert.deepEqual(parseScriptOptions({ vus: 1 }, fn).options.notes, []);
  assert.match(parseScriptOptions(undefined, fn, { vus: 4 }).options.notes[0], /^note: --vus 4 is ignored/);
  assert.deepEqual(parseScriptOptions({ vus: 0 }, fn).problems, [
    'options.vus must be an integer >= 1 (got 0)',
  ]);
});
