/**
 * The bus subjects the services use between processes (the in-process bus carries the same
 * ones). Topics (publish/subscribe, ../bus/topics.ts) and request subjects (request/serve,
 * ../bus/bus.ts) are listed here, in one place, with who sends and who answers.
 */
export const Subject = {
  /** pub, every process every 500 ms: who it is, what it runs, its stats (cluster view). */
  HEARTBEAT: 'sys.heartbeat',
} as const;

/** The queue groups: servers in one group share a subject's requests. */
export const Queue = {
  RISK: 'risk',
  ENGINES: 'engines',
  API: 'api',
} as const;
