/**
 * The REAL Tickstorm system as the scenarios' target: TradingSystem on 127.0.0.1, every port
 * 0, data dir and DuckDB file in a fresh temp dir (removed on close). Only the tests import
 * packages/trading; the scenarios reach it over the wire through these URLs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKeys, TradingSystem } from '@tickstorm/trading';
import type { TargetUrls } from '../../src/index.ts';

export interface Target {
  sys: TradingSystem;
  urls: TargetUrls;
  /** GET a JSON document from the api. */
  api(path: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Keys for a keyed target (signed requests required): `startTarget({ keys: [...] })`. */
export interface TargetKey {
  id: string;
  secret: string;
  role: 'trader' | 'feed' | 'viewer' | 'admin';
  accounts?: string[];
}

export async function startTarget(o: { keys?: TargetKey[] } = {}): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'tickstorm-scenario-'));
  const sys = await TradingSystem.start({
    config: {
      host: '127.0.0.1',
      dataDir: dir,
      ports: { 'market-data': 0, 'execution-engine': 0, 'risk-manager': 0, api: 0 },
    },
    metricsPath: join(dir, 'm.duckdb'),
    security: o.keys === undefined ? undefined : { keys: parseKeys(o.keys) },
  });
  const md = sys.url('market-data');
  const api = sys.url('api');
  const urls: TargetUrls = {
    marketDataWs: `${md.replace(/^http/, 'ws')}/stream`,
    marketDataHttp: md,
    orders: sys.url('execution-engine'),
    risk: sys.url('risk-manager'),
    api,
    apiWs: `${api.replace(/^http/, 'ws')}/ws/metrics`,
  };
  return {
    sys,
    urls,
    async api(path) {
      const r = await fetch(`${api}${path}`);
      return (await r.json()) as Record<string, unknown>;
    },
    async close() {
      await sys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
