/**
 * A Locust user's first command lines: a flag `tickstorm swarm` lacks (or gets wrong) is one
 * problem line naming it and what to use instead, exit 104, not the whole --help text.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startServer } from '@tickstorm/loadlab/testing';
import { startTickstorm, type Watched } from './support/child.ts';
import { tickstorm } from './support/cli.ts';

const USERS = fileURLToPath(new URL('../packages/loadlab/test/fixtures/swarm-users.ts', import.meta.url));
const COUNTED = fileURLToPath(
  new URL('../packages/loadlab/test/fixtures/swarm-counted-users.ts', import.meta.url),
);
/** Each Counted user sends exactly this many requests, at once, then waits (the fixture's REQUESTS). */
const REQUESTS = 25;

describe('tickstorm swarm: flags it cannot parse', () => {
  test('a Locust flag it lacks is named, with what to use instead; exit 104, no help dump', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--print-stats=1'],
        /unknown option '--print-stats': Locust's --print-stats is not in tickstorm swarm; headless runs print a progress line/,
      ],
      [
        ['-L', 'DEBUG'],
        /unknown option '-L': Locust's -L is not in tickstorm swarm; swarm has no log levels/,
      ],
      [
        ['-i', '5'],
        /unknown option '-i': Locust's -i is not in tickstorm swarm; \(locust-plugins'\) there is no iteration limit: .*StopUser/,
      ],
      [['--headful'], /Locust's --headful is not in tickstorm swarm; the web UI runs unless --headless/],
      [
        ['--show-task-ratio'],
        /Locust's --show-task-ratio is not in tickstorm swarm; swarm has no task-ratio listing/,
      ],
      [
        ['--json'],
        /option '--json <file>' argument missing \(Locust's --json prints the results; here --json FILE/,
      ],
      [['--csvv', 'x'], /unknown option '--csvv' \(Did you mean --csv\?\)/],
      [
        ['--web-base-path', '/locust'],
        /unknown option '--web-base-path': Locust's --web-base-path is not in tickstorm swarm; the web UI is served at the root path/,
      ],
      [
        ['--profile', 'nightly'],
        /Locust's --profile is not in tickstorm swarm; there are no test-run profiles/,
      ],
      [
        ['--otel'],
        /Locust's --otel is not in tickstorm swarm; there is no OpenTelemetry export; --metrics-port/,
      ],
      [
        ['--config-users', '{}'],
        /Locust's --config-users is not in tickstorm swarm; set the users' settings/,
      ],
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

describe('tickstorm swarm: a report flag followed by another flag', () => {
  test("'--json --headless' (Locust's --json takes no file) is refused, not a web UI writing '--headless' (104)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'tickstorm-json-flag-'));
    const r = await tickstorm(
      [
        'swarm',
        '-f',
        USERS,
        '--json',
        '--headless',
        '--csv',
        '--only-summary',
        '-t',
        '1s',
        // were it taken for a file name: a web UI on a free port that runs 1 s and quits, not a hang
        ...['-P', '0', '--autostart', '--autoquit', '0', '-H', 'http://127.0.0.1:9'],
      ],
      undefined,
      cwd, // and its files land there
    );
    rmSync(cwd, { recursive: true, force: true });
    assert.equal(r.code, 104, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /--json takes a file name, got the flag '--headless' \(Locust's --json prints the results; here --json FILE writes them to FILE\)/,
    );
    assert.match(r.stderr, /--csv takes a file name, got the flag '--only-summary'/);
    assert.doesNotMatch(r.stdout, /Web UI/);
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

describe("tickstorm swarm --reset-stats (Locust's)", () => {
  test('the statistics restart once every user is spawned: the ramp is not counted', async () => {
    let received = 0;
    const server = await startServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.end('{}');
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-reset-stats-'));
    try {
      const json = join(dir, 'r.json');
      // user 1 sends its 25 requests at once; user 2 starts 2 s later, completing the spawn
      const args = [
        'swarm',
        '-f',
        COUNTED,
        'Counted',
        '--headless',
        '--only-summary',
        '-u',
        '2',
        '-r',
        '0.5',
      ];
      const r = await tickstorm([...args, '-t', '3s', '-H', server.url, '--reset-stats', '--json', json]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^Resetting stats \(--reset-stats\)$/m);
      assert.equal(received, 2 * REQUESTS);
      const s = JSON.parse(readFileSync(json, 'utf8')).scenarios[0];
      assert.equal(s.requests, REQUESTS, 'only the requests after the spawn completed');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("tickstorm swarm --html with Locust's {u}, {r}, {t} tags", () => {
  test('the report file is named with -u, -r (whole) and -t in seconds', async () => {
    const server = await startServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-html-tags-'));
    try {
      const args = [
        'swarm',
        '-f',
        COUNTED,
        'Counted',
        '--headless',
        '--only-summary',
        '-u',
        '2',
        '-r',
        '2.5',
      ];
      const r = await tickstorm([
        ...args,
        '-t',
        '1s',
        '-H',
        server.url,
        '--html',
        join(dir, 'r_{u}_{r}_{t}.html'),
      ]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const want = join(dir, 'r_2_2_1.html');
      assert.ok(existsSync(want), r.stdout);
      assert.match(r.stdout, new RegExp(`Written:\\n {2}${want.replace(/[.]/g, '\\.')}`));
      assert.match(readFileSync(want, 'utf8'), /<title>Tickstorm swarm report/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("tickstorm swarm reads Locust's LOCUST_* variables and locust.conf", () => {
  test('the command line wins over LOCUST_*, LOCUST_* over ./locust.conf; --config FILE not JSON is one too', async () => {
    let hits = 0;
    const server = await startServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hits++;
        res.end('{}');
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'tickstorm-locust-conf-'));
    try {
      const conf = [
        '# as Locust reads it',
        '[locust]',
        `locustfile = ${COUNTED}`,
        'headless = true',
        'only-summary = true',
        'users = 2',
        'spawn_rate = 10',
        'run-time = 1s',
        `host = ${server.url}`,
        'loglevel = INFO',
        '',
      ].join('\n');
      writeFileSync(join(dir, 'locust.conf'), conf);
      const run = async (args: string[], env: Record<string, string>, users: number) => {
        hits = 0;
        const r = await tickstorm(['swarm', 'Counted', ...args], env, dir);
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`Swarm: ${users} users at 10/s against ${server.url}`));
        assert.equal(hits, users * REQUESTS, r.stdout);
        return r;
      };
      const fromFile = await run([], {}, 2);
      assert.match(fromFile.stderr, /note: .*locust\.conf: "loglevel" ignored: swarm has no log levels/);
      assert.match(
        fromFile.stderr,
        /note: flags from .*locust\.conf: locustfile, users, spawn-rate, run-time, host, headless, only-summary\n/,
      );
      await run([], { LOCUST_USERS: '3' }, 3);
      await run(['-u', '1'], { LOCUST_USERS: '3' }, 1);
      // --config FILE that is not JSON is Locust's configuration file (in place of ./locust.conf)
      const other = join(dir, 'other.conf');
      writeFileSync(other, conf.replace('users = 2', 'users = 4'));
      await run(['--config', other], {}, 4);
      writeFileSync(join(dir, 'locust.conf'), `${conf}bogus = 1\nnot a line\n`);
      hits = 0;
      const bad = await tickstorm(['swarm', 'Counted'], { LOCUST_HEADLESS: 'maybe', LOCUST_USERS: 'x' }, dir);
      assert.equal(bad.code, 104, bad.stdout + bad.stderr);
      assert.match(bad.stderr, /invalid configuration \(4 problems\)/);
      assert.match(bad.stderr, /-u\/--users \(from LOCUST_USERS\) must be an integer >= 0, got 'x'/);
      assert.match(bad.stderr, /locust\.conf: 'not a line' is not 'key = value'/);
      assert.match(bad.stderr, /locust\.conf: "bogus" is not a swarm flag/);
      assert.match(bad.stderr, /LOCUST_HEADLESS: expected true or false \(got "maybe"\)/);
      assert.equal(hits, 0, 'nothing ran');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
