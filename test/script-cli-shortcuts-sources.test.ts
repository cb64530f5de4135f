/**
 * k6's shortcuts (--vus/--duration/--iterations/--stage) from TICKSTORM_* variables and
 * tickstorm.config.json like every run flag (flag over environment over file; a bad value
 * names its source), and through `run --master`: the master's flags define the test, each
 * worker runs its part of the overridden scenario, the merged report and handleSummary (on
 * the master) count exactly the master's --iterations; a worker given one of them exits 104.
 *
 * A script text names a 'k6/...' module on its first line only: the boundaries check reads
 * the import lines of this file, and a k6 name is no package of the repository.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { trackedTickstorm } from './support/child.ts';
import { tickstorm } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-shortcut-src-');
const { script } = t;
const { start, stopAll } = trackedTickstorm();
afterEach(stopAll);

const hits = (path: string) => t.srv.paths.get(path) ?? 0;

/** A TICKSTORM_* free environment with `env` over it, in `cwd`. */
function run(args: string[], cwd: string, env: Record<string, string> = {}) {
  for (const k of Object.keys(process.env)) if (k.startsWith('TICKSTORM_')) delete process.env[k];
  return tickstorm(args, env, cwd);
}

const scenarios = (tag: string) =>
  script(
    `${tag}.js`,
    `import exec from 'k6/execution';
import http from 'tickstorm/http';
export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 1 } } };
export default async function () {
  await http.get(\`$URL/${tag}/\${exec.scenario.name}/\${exec.scenario.executor}/vus\${exec.test.options.vus}\`);
}
export function handleSummary(data) {
  return {
    stdout: 'handled\\n',
    '${t.dir}/${tag}-summary.json': JSON.stringify({ iterations: data.metrics.iterations.values.count, options: exec.test.options }),
  };
}
`,
  );

test('from tickstorm.config.json and TICKSTORM_*: the file, the environment over it, the flag over both; bad values name their source', async () => {
  const f = scenarios('src');
  const cwd = join(t.dir, 'cwd');
  mkdirSync(cwd, { recursive: true });
  writeFileSync(join(cwd, 'tickstorm.config.json'), JSON.stringify({ iterations: 5, vus: 2 }));
  const path = '/src/default/shared-iterations/vus2';
  const a = await run(['run', f], cwd);
  assert.equal(a.code, 0, a.stderr + a.stdout);
  assert.match(a.stderr, /replace the script's scenario 's' with one 'default' scenario/);
  assert.equal(hits(path), 5);
  const b = await run(['run', f], cwd, { TICKSTORM_ITERATIONS: '7' });
  assert.equal(b.code, 0, b.stderr + b.stdout);
  assert.equal(hits(path), 5 + 7);
  const c = await run(['run', f, '-i', '3'], cwd, { TICKSTORM_ITERATIONS: '7' });
  assert.equal(c.code, 0, c.stderr + c.stdout);
  assert.equal(hits(path), 5 + 7 + 3);
  // a repeatable --stage: an array in the file, D:T,D:T from the environment
  writeFileSync(join(cwd, 'tickstorm.config.json'), JSON.stringify({ stage: ['1s:1', '1s:0'] }));
  const d = await run(['run', f], cwd, { TICKSTORM_STAGE: '300ms:2,300ms:0' });
  assert.equal(d.code, 0, d.stderr + d.stdout);
  assert.deepEqual(JSON.parse(readFileSync(join(t.dir, 'src-summary.json'), 'utf8')).options.stages, [
    { duration: '300ms', target: 2 },
    { duration: '300ms', target: 0 },
  ]);
  writeFileSync(
    join(cwd, 'tickstorm.config.json'),
    JSON.stringify({ iterations: 'many', duration: 'later' }),
  );
  const e = await run(['run', f], cwd, { TICKSTORM_VUS: '-1' });
  assert.equal(e.code, 104, e.stderr);
  assert.match(e.stderr, /--vus \(from TICKSTORM_VUS\) must be a positive integer \(got '-1'\)/);
  assert.match(
    e.stderr,
    /--iterations \(from .*tickstorm\.config\.json: "iterations"\) must be a positive integer \(got 'many'\)/,
  );
  assert.match(e.stderr, /--duration \(from .*tickstorm\.config\.json: "duration"\) must be a duration/);
  assert.match(e.stderr, /invalid configuration \(3 problems\)/);
});

test('--master --iterations 30 --vus 3 with one worker: the worker runs the default scenario, the merged report counts 30', async () => {
  const f = scenarios('dist');
  const json = join(t.dir, 'dist-merged.json');
  const m = start([
    'run',
    f,
    '--master',
    '--expect-workers',
    '1',
    '--master-bind-port',
    '0',
    '--iterations',
    '30',
    '--vus',
    '3',
    '--json',
    json,
  ]);
  const [, port] = await m.waitFor(/Master listening on 127\.0\.0\.1:(\d+)/);
  // a worker may not set the test's shortcuts: 104 before it connects
  const bad = start(['run', '--worker', '--master-port', port, '--vus', '2', '-d', '1s']);
  assert.equal((await bad.exited).code, 104, bad.stderr());
  assert.match(bad.stderr(), /--vus is the master's/);
  assert.match(bad.stderr(), /--duration is the master's/);
  const w = start(['run', '--worker', '--master-port', port]);
  const [mx, wx] = await Promise.all([m.exited, w.exited]);
  assert.equal(wx.code, 0, w.stdout() + w.stderr());
  assert.equal(mx.code, 0, m.stdout() + m.stderr());
  assert.match(m.stderr(), /replace the script's scenario 's' with one 'default' scenario/);
  assert.match(m.stdout(), /Test: script .*dist\.js --vus 3 --iterations 30/);
  assert.equal(hits('/dist/default/shared-iterations/vus3'), 30);
  assert.equal(hits('/dist/s/per-vu-iterations/vusundefined'), 0);
  const merged = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(
    merged.scenarios.map((s: { scenario: string; requests: number }) => [s.scenario, s.requests]),
    [['default', 30]],
  );
  const summary = JSON.parse(readFileSync(join(t.dir, 'dist-summary.json'), 'utf8'));
  assert.equal(summary.iterations, 30);
  assert.deepEqual(summary.options.scenarios, {
    default: { executor: 'shared-iterations', vus: 3, iterations: 30, exec: 'default' },
  });
});
