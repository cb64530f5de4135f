/**
 * k6/execution's fields the lab does not have throw when read, naming what to use, and stop the
 * run as a script error (107), rather than answering undefined: a script that picked its data
 * row by exec.scenario.iterationInTest would otherwise read users[NaN] and send `undefined` in
 * every request, silently (and an iteration ended by the throw, before its sleep(), would loop
 * back to back on the target).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm as run } from './support/cli.ts';
import { scriptTarget } from './support/script-target.ts';

const t = scriptTarget('tickstorm-exec-absent-');

test('exec.scenario.iterationInTest and iterationInInstance throw a TypeError naming what to use; the run stops (107)', async () => {
  const f = t.script(
    'absent.js',
    `import exec from 'k6/execution';
import http from 'k6/http';
export const options = { iterations: 1 };
const read = (f) => { try { return String(f()); } catch (e) { return e instanceof TypeError && /exec\\.vu\\./.test(e.message) ? 'threw' : 'other'; } };
export default async function () {
  await http.get('$URL/absent/' + read(() => exec.scenario.iterationInTest) + '/' + read(() => exec.scenario.iterationInInstance));
  exec.scenario.iterationInTest;
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 107, r.stderr + r.stdout);
  assert.equal(t.srv.paths.get('/absent/threw/threw'), 1, JSON.stringify([...t.srv.paths]));
  assert.match(
    r.stderr,
    /script error in .*absent\.js: exec\.scenario\.iterationIn(Test|Instance) is not available in tickstorm run: .*exec\.vu\./,
  );
  assert.match(r.stdout, /STOPPED by a script error: exec\.scenario\.iterationIn/);
});

test('JSON.stringify(exec.scenario), a spread and Object.keys list the fields there are: the run goes on (0)', async () => {
  // before: both absent fields were enumerable getters, so logging exec.scenario read them and
  // stopped the run (107) though the script never asked for either
  const f = t.script(
    'listed.js',
    `import exec from 'k6/execution';
import http from 'k6/http';
export const options = { iterations: 1 };
export default async function () {
  const seen = JSON.parse(JSON.stringify(exec.scenario));
  const copy = { ...exec.scenario };
  const keys = Object.keys(exec.scenario).sort().join(',');
  await http.get('$URL/listed/' + seen.name + '/' + copy.executor + '/' + keys);
}
`,
  );
  const r = await run(['run', f]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(
    t.srv.paths.get('/listed/default/shared-iterations/executor,name,progress,startTime'),
    1,
    JSON.stringify([...t.srv.paths]),
  );
});
