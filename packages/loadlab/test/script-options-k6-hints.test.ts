/**
 * k6's options that `tickstorm run` does not take (options.rps, options.hosts, ...) are refused
 * (104) with what to do instead, as k6's flags of the same names are; before, each was only
 * `not supported (use scenarios, thresholds, ...)`. An option k6 does not have keeps that line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScriptOptions } from '../src/script/options.ts';

const fn = { default: () => {} };

test("k6's options not taken here name what fits instead; an unknown one lists the options", () => {
  const { problems } = parseScriptOptions(
    {
      iterations: 1,
      rps: 5,
      hosts: { 'a.test': '127.0.0.1' },
      throw: true,
      userAgent: 'x',
      scenarioDuration: 1,
    },
    fn,
  );
  assert.equal(problems.length, 5, problems.join('\n'));
  assert.match(problems[0], /^options\.rps: k6's option is not taken here: .*an arrival-rate executor/);
  assert.match(problems[1], /^options\.hosts: .*no per-run DNS, hosts or IP setting/);
  assert.match(problems[2], /^options\.throw: .*a failed request never throws here/);
  assert.match(problems[3], /^options\.userAgent: .*params\.headers\['User-Agent'\]/);
  assert.match(problems[4], /^options\.scenarioDuration: not supported \(use scenarios, thresholds/);
});

test('toString or constructor is no k6 option: not supported, not a hint', () => {
  const { problems } = parseScriptOptions(JSON.parse('{"iterations":1,"constructor":1}'), fn);
  assert.match(problems[0], /^options\.constructor: not supported/);
});
