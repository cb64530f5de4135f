/**
 * A Locust user's first command lines: a flag `tickstorm swarm` lacks (or gets wrong) is one
 * problem line naming it and what to use instead, exit 104, not the whole --help text.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTickstorm, type Watched } from './support/child.ts';
import { tickstorm } from './support/cli.ts';

const USERS = fileURLToPath(new URL('../packages/loadlab/test/fixtures/swarm-users.ts', import.meta.url));

describe('tickstorm swarm: flags it cannot parse', () => {
  test('a Locust flag it lacks is named, with what to use instead; exit 104, no help dump', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--csv-full-history'],
        /unknown option '--csv-full-history': Locust's --csv-full-history is not in tickstorm swarm; --csv's/,
      ],
      [
        ['--stop-timeout=5'],
        /unknown option '--stop-timeout': Locust's --stop-timeout is not in tickstorm swarm; a stopped user's request/,
      ],
      [
        ['-L', 'DEBUG'],
        /unknown option '-L': Locust's -L is not in tickstorm swarm; swarm has no log levels/,
      ],
      [['--reset-stats'], /Locust's --reset-stats is not in tickstorm swarm; the web UI's Reset stats/],
      [
        ['--json'],
        /option '--json <file>' argument missing \(Locust's --json prints the results; here --json FILE/,
      ],
      [['--csvv', 'x'], /unknown option '--csvv' \(Did you mean --csv\?\)/],
    ];
    for (const [flags, want] of cases) {
      const r = await tickstorm(['swarm', '-f', USERS, '--headless', '-t', '1s', ...flags]);
      assert.equal(r.code, 104, flags.join(' '));
      const lines = r.stderr.trimEnd().split('\n');
      assert.deepEqual(
        [lines[0], lines.length, lines[2]],
        [
          'tickstorm swarm: invalid configuration (1 problem):',
          3,
          "Run 'tickstorm swarm --help' for the flags.",
        ],
        r.stderr,
      );
      assert.match(lines[1], want);
      assert.doesNotMatch(r.stderr, /Usage:/);
      assert.equal(r.stdout, '');
    }
  });
});

describe("tickstorm swarm: Locust's -l/--list and -P", () => {
  let web: Watched | undefined;
  afterEach(async () => {
    await web?.stop();
    web = undefined;
  });

  test('-l prints the user classes and exits 0; a missing file is 104', async () => {
    const r = await tickstorm(['swarm', '-f', USERS, '-l']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Available Users:\n    Breaker\n    Reader\n');
    const none = await tickstorm(['swarm', '-f', 'no-such-users.ts', '--list']);
    assert.equal(none.code, 104);
    assert.match(none.stderr, /no such file: no-such-users\.ts/);
  });

  test('-P is --web-port: the web UI listens there', async () => {
    web = startTickstorm(['swarm', '-f', USERS, '-P', '0', '-H', 'http://127.0.0.1:9']);
    const [, url] = await web.waitFor(/Web UI: (http:\/\/127\.0\.0\.1:\d+)\//);
    const res = await fetch(`${url}/stats/requests`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { state: string }).state, 'ready');
    web.child.kill('SIGINT');
    assert.equal((await web.exited).code, 105);
  });
});
