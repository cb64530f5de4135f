/**
 * `tickstorm run SCRIPT -u/--vus -d/--duration -i/--iterations -s/--stage`: k6's execution
 * shortcuts on the command line. --duration/--iterations/--stage replace the script's
 * scenarios with one 'default' scenario (a note names the ones replaced); --vus alone sets a
 * shortcut script's VUs and is a problem over `scenarios`; bad values are all listed (104);
 * the built-in scenarios refuse --vus/--iterations/--stage; exec.test.options (in the
 * iterations and in handleSummary) shows the resolved options. The target counts every path.
 *
 * A script text names a 'k6/...' module on its first line only: the boundaries check reads
 * the import lines of this file, and a k6 name is no package of the repository.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-shortcuts-');
const { script } = t;

/** How often the target saw `path`. */
const hits = (path: string) => t.srv.paths.get(path) ?? 0;

const SCENARIOS = (tag: string) => `import exec from 'k6/execution';
import http from 'tickstorm/http';
export const options = {
  scenarios: {
    browse: { executor: 'per-vu-iterations', vus: 1, iterations: 1 },
    login: { executor: 'per-vu-iterations', vus: 1, iterations: 1, exec: 'login' },
  },
};
export default async function () {
  const o = exec.test.options;
  await http.get(\`$URL/${tag}/\${exec.scenario.name}/\${exec.scenario.executor}/\${Object.keys(o.scenarios).join(',')}/vus\${o.vus}\`);
}
export async function login() {
  await http.get('$URL/${tag}/login');
}
export function handleSummary(data) {
  return { '$DIR/${tag}-summary.json': JSON.stringify({ iterations: data.metrics.iterations.values.count, options: exec.test.options }) };
}
`;

const scenariosScript = (tag: string) => script(`${tag}.js`, SCENARIOS(tag).replaceAll('$DIR', t.dir));
const summaryOf = (tag: string) => JSON.parse(readFileSync(join(t.dir, `${tag}-summary.json`), 'utf8'));

test('--vus 2 --duration 1s over a script with scenarios: the note, one constant-vus default scenario, iterations for the whole second', async () => {
  const f = scenariosScript('dur');
  const json = join(t.dir, 'dur.json');
  const r = await run(['run', f, '--vus', '2', '--duration', '1s', '--json', json]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(
    r.stderr,
    /note: --duration\/--iterations\/--stage replace the script's scenarios 'browse', 'login' with one 'default' scenario/,
  );
  assert.match(r.stdout, /▶ script .*dur\.js: default \(constant-vus vus=2 duration=1s\)/);
  const j = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(
    j.scenarios.map((s: { scenario: string }) => s.scenario),
    ['default'],
  );
  const n = hits('/dur/default/constant-vus/default/vus2');
  // two VUs looping for the whole second (hundreds of iterations on an idle box, how many on a
  // loaded one is the machine's): more than one each, and the scenario lasted the second
  assert.ok(n > 2, `${n} iterations`);
  assert.ok(j.scenarios[0].durationSec >= 1, `ran ${j.scenarios[0].durationSec} s`);
  assert.equal(hits('/dur/login'), 0, 'login() was replaced');
  const s = summaryOf('dur');
  assert.equal(s.iterations, n);
  assert.deepEqual(s.options.scenarios, {
    default: { executor: 'constant-vus', vus: 2, duration: '1s', exec: 'default' },
  });
  assert.equal(s.options.vus, 2);
  assert.equal(s.options.duration, '1s');
});

test('-i 30 -u 3: exactly 30 iterations (shared-iterations); --execution-segment 0:1/3 runs its 10', async () => {
  const f = scenariosScript('its');
  const r = await run(['run', f, '-i', '30', '-u', '3']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /default \(shared-iterations vus=3 iterations=30\)/);
  assert.equal(hits('/its/default/shared-iterations/default/vus3'), 30);
  assert.equal(summaryOf('its').iterations, 30);
  assert.deepEqual(summaryOf('its').options.scenarios.default, {
    executor: 'shared-iterations',
    vus: 3,
    iterations: 30,
    exec: 'default',
  });
  const g = scenariosScript('seg');
  const s = await run(['run', g, '--iterations', '30', '--vus', '3', '--execution-segment', '0:1/3']);
  assert.equal(s.code, 0, s.stderr + s.stdout);
  assert.equal(hits('/seg/default/shared-iterations/default/vus3'), 10);
});

test('--iterations with --duration: shared-iterations with maxDuration; the script’s top-level vus when no --vus', async () => {
  const f = script(
    'top.js',
    `import http from 'tickstorm/http';
export const options = { vus: 2, duration: '1m' };
export default async function () { await http.get('$URL/top/' + __VU); }
`,
  );
  const r = await run(['run', f, '--iterations', '8', '--duration', '30s']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /default \(shared-iterations vus=2 iterations=8 maxDuration=30s\)/);
  assert.doesNotMatch(r.stderr, /note:/, 'no named scenario was replaced');
  assert.equal(hits('/top/1') + hits('/top/2'), 8);
});

test('--stage twice: one ramping-vus scenario from --vus', async () => {
  const f = scenariosScript('stage');
  const r = await run(['run', f, '-s', '1s:3', '--stage', '500ms:0', '-u', '2']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stderr, /replace the script's scenarios 'browse', 'login'/);
  assert.match(
    r.stdout,
    /default \(ramping-vus stages=\[\{"duration":"1s","target":3\},\{"duration":"500ms","target":0\}\] startVUs=2\)/,
  );
  assert.ok(hits('/stage/default/ramping-vus/default/vus2') > 0);
  assert.deepEqual(summaryOf('stage').options.stages, [
    { duration: '1s', target: 3 },
    { duration: '500ms', target: 0 },
  ]);
});

test('--vus alone: over a shortcut script it sets vus; over scenarios it is 104 saying to add --duration or --iterations', async () => {
  const f = script(
    'vus.js',
    `import http from 'tickstorm/http';
export const options = { vus: 1, iterations: 6 };
export default async function () { await http.get('$URL/vus/' + __VU); }
`,
  );
  const a = await run(['run', f, '--vus', '3']);
  assert.equal(a.code, 0, a.stderr + a.stdout);
  assert.match(a.stdout, /default \(shared-iterations vus=3 iterations=6\)/);
  assert.equal(hits('/vus/1') + hits('/vus/2') + hits('/vus/3'), 6);
  const b = await run(['run', scenariosScript('alone'), '--vus', '5']);
  assert.equal(b.code, 104, b.stderr);
  assert.match(
    b.stderr,
    /--vus alone cannot apply to a script that defines options\.scenarios \(browse, login\).*add --duration or --iterations/,
  );
  assert.equal(hits('/alone/login'), 0, 'nothing ran');
});

test("a script's lone vus is k6's: ignored with a note, one iteration on one VU; duration beside stages is 104", async () => {
  const f = script(
    'lonevus.js',
    `import http from 'tickstorm/http';
export const options = { vus: 3 };
export default async function () { await http.get('$URL/lonevus/' + __VU); }
`,
  );
  const a = await run(['run', f]);
  assert.equal(a.code, 0, a.stderr + a.stdout);
  assert.match(
    a.stderr,
    /note: options\.vus 3 is ignored: it works with a duration, iterations or stages \(as in k6\)/,
  );
  assert.match(a.stdout, /default \(shared-iterations vus=1 iterations=1\)/);
  assert.equal(hits('/lonevus/1'), 1);
  assert.equal(hits('/lonevus/2') + hits('/lonevus/3'), 0);
  const g = script(
    'stagesdur.js',
    `import http from 'tickstorm/http';
export const options = { stages: [{ duration: '200ms', target: 1 }], duration: '5s' };
export default async function () { await http.get('$URL/stagesdur'); }
`,
  );
  const b = await run(['run', g]);
  assert.equal(b.code, 104, b.stderr);
  assert.match(b.stderr, /options\.duration cannot be combined with options\.stages/);
  assert.equal(hits('/stagesdur'), 0, 'nothing ran');
});

test('a default scenario the flags make wrong names the flags, not the script’s options', async () => {
  const f = script(
    'fewits.js',
    "import http from 'tickstorm/http';\nexport default async function () { await http.get('$URL/fewits'); }\n",
  );
  const r = await run(['run', f, '-i', '2', '-u', '5']);
  assert.equal(r.code, 104, r.stderr);
  assert.match(
    r.stderr,
    /- options with --vus --iterations: shared-iterations: iterations \(2\) must be >= vus \(5\)/,
  );
  assert.equal(hits('/fewits'), 0, 'nothing ran');
});

test('bad values: 104 with every problem; a threshold on a replaced scenario names it', async () => {
  const f = scenariosScript('bad');
  const r = await run([
    'run',
    f,
    '-u',
    '0',
    '-d',
    'soon',
    '-i',
    '2.5',
    '-s',
    '10s',
    '-s',
    'x:1',
    '--rate',
    '5',
  ]);
  assert.equal(r.code, 104, r.stderr);
  for (const p of [
    /--vus must be a positive integer \(got '0'\)/,
    /--iterations must be a positive integer \(got '2\.5'\)/,
    /--duration must be a duration like 30s.*\(got 'soon'\)/,
    /--stage must be DURATION:TARGET like 30s:10 .*got '10s'\)/,
    /--stage must be DURATION:TARGET like 30s:10 .*got 'x:1'\)/,
    /--iterations cannot be combined with --stage/,
    /--duration cannot be combined with --stage/,
    /--rate is a scenario parameter; a script sets its own options/,
  ])
    assert.match(r.stderr, p);
  assert.match(r.stderr, /invalid configuration \(8 problems\)/);

  const g = script(
    'scoped.js',
    `export const options = {
  scenarios: { browse: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } },
  thresholds: { 'iterations{scenario:browse}': ['count>0'] },
};
export default async function () {}
`,
  );
  const s = await run(['run', g, '--iterations', '2', '--threshold', 'p95{scenario:browse}<1s']);
  assert.equal(s.code, 104, s.stderr);
  assert.match(
    s.stderr,
    /'iterations\{scenario:browse\}'\]: no scenario 'browse' \(scenarios: default\): the scenario was replaced by --duration\/--iterations\/--stage/,
  );
  assert.match(s.stderr, /'p95\{scenario:browse\}<1s': no scenario 'browse' .*: the scenario was replaced/);
  // the default scenario runs the default export: none is a script error (107), nothing runs
  const h = script(
    'nodefault.js',
    `export const options = { scenarios: { a: { executor: 'per-vu-iterations', vus: 1, iterations: 1, exec: 'a' } } };
export function a() {}
`,
  );
  const n = await run(['run', h, '-i', '2']);
  assert.equal(n.code, 107, n.stderr);
  assert.match(n.stderr, /no default function/);
});

test('the built-in scenarios: --vus, --iterations and --stage are 104 naming each; --duration stays their parameter', async () => {
  const r = await run([
    'run',
    'order-stress',
    '-u',
    '3',
    '-i',
    '4',
    '-s',
    '1s:1',
    '--duration',
    'abc',
    '--orders-url',
    'http://127.0.0.1:9',
  ]);
  assert.equal(r.code, 104, r.stderr);
  for (const f of ['vus', 'iterations', 'stage'])
    assert.match(r.stderr, new RegExp(`--${f} is k6's shortcut for a script; the built-in scenarios`), f);
  assert.match(
    r.stderr,
    /--duration must be a duration like 500ms, 10s, 1m30s \(got "abc"\)/,
    'the scenario parameter is checked as before',
  );
  assert.doesNotMatch(r.stderr, /--duration must be a duration like 30s, 5m/, 'not as the script flag');
});
