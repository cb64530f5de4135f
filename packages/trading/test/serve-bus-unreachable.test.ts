/**
 * `serve <service> --bus …` when the bus cannot be reached at start (docs/deployment.md,
 * "Start order"): nothing listening on the port is exit 1 at once, and a nats-server that
 * accepts the connection but never answers (stopped, SIGSTOP: a hung host, a black hole) is
 * exit 1 once the 5 s connect timeout passes; both name `--bus` and the URL. The second used to
 * log "start failed" and then hang for ever: the NATS client kept the socket it had opened.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run, TICKSTORM } from './support/child-process.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';

describe('serve with the bus unreachable at start', { timeout: 90_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-bus-unreachable-'));
  let nats: NatsServer;
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    try {
      process.kill(nats.pid, 'SIGCONT');
    } catch {
      // already gone
    }
    await nats.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  const serve = (service: string, sub: string) =>
    run(
      process.execPath,
      [
        TICKSTORM,
        'serve',
        service,
        '--bus',
        nats.url,
        '--data-dir',
        join(dir, sub),
        '--risk-manager-port',
        '0',
        '--api-port',
        '0',
      ],
      process.env,
      // the 5 s connect timeout, a start and a stop, with room for a loaded machine; a hang fails here
      30_000,
    );

  test('a nats-server that accepts and never answers: exit 1 after the connect timeout, naming --bus', async () => {
    process.kill(nats.pid, 'SIGSTOP');
    try {
      const t0 = performance.now();
      const r = await serve('risk-manager', 'stopped');
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /cannot connect to the bus \(--bus, TICKSTORM_BUS\) at nats:\/\/127\.0\.0\.1:\d+: TIMEOUT/,
      );
      assert.ok(performance.now() - t0 >= 4000, 'waited for the connect timeout');
    } finally {
      process.kill(nats.pid, 'SIGCONT');
    }
  });

  test('nothing listening: exit 1 at once, naming --bus', async () => {
    await nats.kill();
    const r = await serve('api', 'refused');
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /cannot connect to the bus \(--bus, TICKSTORM_BUS\) at nats:\/\/127\.0\.0\.1:\d+: CONNECTION_REFUSED/,
    );
  });
});
