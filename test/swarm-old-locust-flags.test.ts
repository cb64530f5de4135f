/**
 * A locustfile's old command line (Locust 0.x/1.x: --hatch-rate, -c/--clients, --no-web, -n,
 * --step-load) is answered with today's flag, not a bare "unknown option" (exit 104).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tickstorm } from './support/cli.ts';

test("Locust's old flags name today's", async () => {
  const cases: [string[], RegExp][] = [
    [
      ['--hatch-rate', '5'],
      /Locust's --hatch-rate is not in tickstorm swarm; it is an old Locust name: .* -r\/--spawn-rate/,
    ],
    [['-c', '10'], /Locust's -c is not in tickstorm swarm; it is an old Locust name: .* -u\/--users/],
    [['--no-web'], /Locust's --no-web is not in tickstorm swarm; it is an old Locust name: .* --headless/],
    [['--step-load'], /Locust 2\.0 removed step load; a LoadTestShape class/],
    [['-n', '100'], /Locust's -n is not in tickstorm swarm; \(locust-plugins'\) there is no iteration limit/],
  ];
  const rs = await Promise.all(cases.map(([args]) => tickstorm(['swarm', '-f', 'users.ts', ...args])));
  rs.forEach((r, i) => {
    assert.equal(r.code, 104, r.stderr);
    assert.match(r.stderr, cases[i][1]);
  });
});
