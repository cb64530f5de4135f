/**
 * k6 Cloud's `options.cloud` (and the older `options.ext.loadimpact`) are ignored by a local
 * `k6 run`; many k6 scripts carry them. Here too they are a note, not a configuration error
 * (before: 104, `options.cloud: not supported`); any other unknown option is still a problem.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScriptOptions } from '../src/script/options.ts';

const fn = { default: () => {} };

test('options.cloud and options.ext are noted and ignored; an unknown option is still refused', () => {
  const { options, problems } = parseScriptOptions(
    { iterations: 1, cloud: { projectID: 1 }, ext: { loadimpact: { projectID: 1 } } },
    fn,
  );
  assert.deepEqual(problems, []);
  assert.equal(options.notes.length, 2);
  assert.match(options.notes[0], /options\.cloud is k6 Cloud's; a local run ignores it, as k6 run does/);
  assert.match(options.notes[1], /options\.ext is k6 Cloud's/);
  const bad = parseScriptOptions({ iterations: 1, nosuchOption: true }, fn);
  assert.match(bad.problems.join('\n'), /options\.nosuchOption: not supported/);
});
