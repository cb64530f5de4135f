/**
 * Where the services listen and keep their data. Defaults are the SPEC's; every value can
 * come from a flag, an environment variable or a config file (flags win over env, env
 * over file). `resolveServiceConfig` reports every problem at once.
 */
import { TradingError, TradingErrorCode } from '../errors.ts';

export type ServiceName = 'market-data' | 'execution-engine' | 'risk-manager' | 'api';
export const SERVICE_NAMES: readonly ServiceName[] = [
  'market-data',
  'execution-engine',
  'risk-manager',
  'api',
];

/** Process titles of the SPEC, so `ps aux | grep market-data` finds each service. */
export const PROCESS_TITLES: Readonly<Record<ServiceName, string>> = {
  'market-data': 'market-data',
  'execution-engine': 'execution-engine',
  'risk-manager': 'risk-manager',
  api: 'tickstorm-api',
};

export interface ServiceConfig {
  host: string;
  dataDir: string;
  ports: Record<ServiceName, number>;
}

export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  'market-data': 5001,
  'execution-engine': 5002,
  'risk-manager': 5003,
  api: 8000,
};

/** Environment variable of each port: MARKET_DATA_PORT, EXECUTION_ENGINE_PORT, RISK_MANAGER_PORT, API_PORT. */
export function portEnvName(service: ServiceName): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_PORT`;
}

export interface ServiceConfigInput {
  host?: string;
  dataDir?: string;
  ports?: Partial<Record<ServiceName, number | string>>;
}

export function resolveServiceConfig(
  flags: ServiceConfigInput = {},
  env: NodeJS.ProcessEnv = process.env,
  file: ServiceConfigInput = {},
): ServiceConfig {
  const problems: string[] = [];
  const host = flags.host ?? env.TICKSTORM_HOST ?? file.host ?? '127.0.0.1';
  const dataDir = flags.dataDir ?? env.TICKSTORM_DATA_DIR ?? file.dataDir ?? 'data';
  if (typeof host !== 'string' || host.length === 0) problems.push('host must be a non-empty string');
  if (typeof dataDir !== 'string' || dataDir.length === 0)
    problems.push('data dir must be a non-empty string');
  const ports = { ...DEFAULT_PORTS };
  for (const name of SERVICE_NAMES) {
    const raw = flags.ports?.[name] ?? env[portEnvName(name)] ?? file.ports?.[name];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0 || n > 65_535) {
      problems.push(
        `${name} port must be an integer 0..65535 (got ${JSON.stringify(raw)}; --${name}-port, ${portEnvName(name)})`,
      );
    } else {
      ports[name] = n;
    }
  }
  if (problems.length > 0) {
    throw new TradingError(TradingErrorCode.INVALID_CONFIG, `invalid configuration: ${problems.join('; ')}`);
  }
  return { host, dataDir, ports };
}
