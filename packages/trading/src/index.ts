/**
 * @tickstorm/trading: the trading system. This entry is what the CLI and other packages may
 * use; everything else under src/ is internal.
 *
 *   import { TradingSystem, resolveServiceConfig } from '@tickstorm/trading';
 *   const system = await TradingSystem.start({ config: resolveServiceConfig({ ports: { api: 0 } }) });
 *
 * Input logs: readInputLog, scanInputLog, CommandRecord, applyCommand, replayLog (docs/input-log.md).
 *
 * Subpaths: `@tickstorm/trading/metrics-store` (the metrics-store library: DatabaseManager,
 * MetricRecord) and `@tickstorm/trading/bench` (the critical-path micro-benchmarks).
 */

export { ApiKey, KeyStore, loadKeysFile, parseKeys, ROLES, type Role } from './auth/keys.ts';
export { checkBindPolicy, isLoopbackHost } from './auth/protected-mode.ts';
export type { SecurityOptions } from './auth/request-auth.ts';
export { routeRights } from './auth/route-rights.ts';
export { MatchingEngine, type MatchingEngineOptions } from './book/matching-engine.ts';
export * from './config/performance-env.ts';
export * from './config/service-config.ts';
export * from './errors.ts';
export * from './log/logger.ts';
export { fileKind } from './persistence/data-file-access.ts';
export { CommandKind, CommandRecord } from './sequencing/command-codec.ts';
export { InputLogReader, readInputLog, scanInputLog } from './sequencing/input-log-reader.ts';
export { applyCommand, type CommandTarget, type ReplayStats, replayLog } from './sequencing/replay.ts';
export { DURABILITIES, type Durability, type RecoveryReport, TradingCore } from './system/trading-core.ts';
export { ALL_SERVICES, TradingSystem, type TradingSystemOptions } from './system/trading-system.ts';
