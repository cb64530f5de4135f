/**
 * Where the services listen and keep their data. Defaults are the service contract's (@tickstorm/protocol); every value can
 * come from a flag, an environment variable or a config file (flags win over env, env
 * over file). `resolveServiceConfig` reports every problem at once.
 */

import {
  DEFAULT_PORTS,
  PROCESS_TITLES,
  portEnvName,
  SERVICE_NAMES,
  type ServiceName,
} from '@tickstorm/protocol';
import { TradingError, TradingErrorCode } from '../errors.ts';

export { DEFAULT_PORTS, PROCESS_TITLES, portEnvName, SERVICE_NAMES, type ServiceName };

export interface ServiceConfig {
  host: string;
  dataDir: string;
  ports: Record<ServiceName, number>;
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
  // An empty variable (TICKSTORM_HOST=) is unset, as every variable of serve; an empty flag is wrong.
  const fromEnv = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v);
  const given = flags.host ?? fromEnv(env.TICKSTORM_HOST) ?? file.host ?? '127.0.0.1';
  // An IPv6 address as written in a URL (`[::1]`) is listened on without its brackets.
  const host = typeof given === 'string' && /^\[[^\]]+\]$/.test(given) ? given.slice(1, -1) : given;
  const dataDir = flags.dataDir ?? fromEnv(env.TICKSTORM_DATA_DIR) ?? file.dataDir ?? 'data';
  if (typeof host !== 'string' || host.length === 0) problems.push('host must be a non-empty string');
  if (typeof dataDir !== 'string' || dataDir.length === 0)
    problems.push('data dir must be a non-empty string');
  const ports = { ...DEFAULT_PORTS };
  for (const name of SERVICE_NAMES) {
    // an empty variable (API_PORT=) is unset, as for the other variables; an empty flag is wrong
    const raw = flags.ports?.[name] ?? fromEnv(env[portEnvName(name)]) ?? file.ports?.[name];
    if (raw === undefined) continue;
    const n = typeof raw === 'string' && raw.trim() === '' ? Number.NaN : Number(raw);
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
