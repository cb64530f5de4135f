/**
 * A second owner of a role only one process may hold, started by mistake on the same bus with
 * its own data dir (the data-dir lock cannot see it), is refused at start with
 * TRD_ERR_SERVICE_IN_USE (docs/deployment.md, "Two of one role"): a second risk manager, and an
 * engine whose symbols a live engine already owns. Before, both started: the two risk managers
 * each held part of the reservations, and two engines without --symbols took the api's routed
 * orders in turn, each with its own book and the same order ids (16777218 answered for two
 * different orders). A predecessor that stopped leaves no subscription: its successor starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServiceName } from '../src/config/service-config.ts';
import { TradingErrorCode } from '../src/errors.ts';
import { TradingSystem } from '../src/system/trading-system.ts';
import { type NatsServer, startNatsServer } from './support/nats-server.ts';
import { ZERO_PORTS } from './support/trading-fixture.ts';

describe('a second risk manager or a second owner of a symbol on one bus', { timeout: 120_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'tickstorm-role-in-use-'));
  let nats: NatsServer;
  const running: TradingSystem[] = [];
  let n = 0;

  const start = async (
    services: ServiceName[],
    symbols?: string[],
    bus = nats.url,
  ): Promise<TradingSystem> => {
    const sys = await TradingSystem.start({
      config: { host: '127.0.0.1', dataDir: join(root, `d${n++}`), ports: { ...ZERO_PORTS } },
      services,
      bus,
      symbols,
      durability: 'write',
      snapshotIntervalMs: 0,
      report: () => {},
    });
    running.push(sys);
    return sys;
  };
  const refused = (message: RegExp) => (e: { code?: string; message?: string }) =>
    e.code === TradingErrorCode.SERVICE_IN_USE && message.test(String(e.message));

  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    for (const s of running) await s.close();
    await nats.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('a second risk manager is refused; once the first stopped, it starts', async () => {
    const first = await start(['risk-manager']);
    await assert.rejects(
      start(['risk-manager']),
      refused(/a live risk manager already answers.*exactly one may run/),
    );
    await first.close();
    const second = await start(['risk-manager']);
    assert.ok(second.riskNode !== null);
  });

  it('an engine whose symbols a live engine owns is refused, naming the symbol and the owner', async () => {
    await start(['execution-engine'], ['AAPL', 'SYM0']);
    await assert.rejects(
      start(['execution-engine'], ['MSFT', 'SYM0']),
      refused(
        /SYM0 is already served on the bus by the live engine of partition AAPL \(--symbols AAPL,SYM0\)/,
      ),
    );
    // without --symbols it would own every symbol, AAPL's and SYM0 included
    await assert.rejects(
      start(['execution-engine']),
      refused(/already served on the bus by the live engine of partition AAPL/),
    );
    // other symbols: a partition beside it
    const other = await start(['execution-engine'], ['MSFT', 'SYM1']);
    assert.equal(other.partition?.tag, 'MSFT');
  });

  it('a second engine without --symbols beside one is refused', async () => {
    // its own bus: the partitions above own some symbols on the first one
    const other = await startNatsServer();
    try {
      await start(['execution-engine'], undefined, other.url);
      await assert.rejects(
        start(['execution-engine'], undefined, other.url),
        refused(/already served on the bus by a live engine that owns every symbol \(no --symbols\)/),
      );
    } finally {
      for (const s of running.splice(0)) await s.close();
      await other.stop();
    }
  });
});
