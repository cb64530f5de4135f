/**
 * Puts the agent endpoints on an api app: the real agents over `deps` (./default-steps.ts),
 * any of them replaced by `steps` (tests inject e.g. a step that never resolves), the
 * in-flight limiter (ABC_MAX_CONCURRENT_REQUESTS) and, in performance mode, the analysis cache.
 */
import type { FastifyInstance } from 'fastify';
import { DEFAULT_MAX_CONCURRENT_REQUESTS, InFlightLimiter } from '../guards/admission.ts';
import type { MemoryGuard } from '../guards/memory-guard.ts';
import { DEFAULT_BAR_CAPACITY } from '../market-data/market-state.ts';
import { registerAgentRoutes } from './agent-routes.ts';
import type { AgentSteps } from './agent-types.ts';
import { AnalysisCache } from './analysis-cache.ts';
import { type AgentDeps, createAgentSteps } from './default-steps.ts';
import { DEFAULT_STEP_TIMEOUT_MS } from './workflow.ts';

export interface ApiAgentOptions {
  deps: AgentDeps;
  /** Replacements for the real agents. */
  steps?: Partial<AgentSteps>;
  /** Per workflow step (default 2,000 ms). */
  stepTimeoutMs?: number;
  /** Agent requests in flight before 503 (ABC_MAX_CONCURRENT_REQUESTS; default 1,000). */
  maxConcurrentRequests?: number;
}

export interface MountedAgents {
  readonly limiter: InFlightLimiter;
  readonly cache: AnalysisCache | undefined;
  readonly stepTimeoutMs: number;
}

export function mountAgents(
  app: FastifyInstance,
  o: ApiAgentOptions,
  ctx: { performanceMode: boolean; memory?: MemoryGuard },
): MountedAgents {
  const limiter = new InFlightLimiter(o.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS);
  const cache = ctx.performanceMode ? new AnalysisCache() : undefined;
  const steps: AgentSteps = { ...createAgentSteps(o.deps, cache), ...o.steps };
  const market = o.deps.market;
  const stepTimeoutMs = o.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  if (!(stepTimeoutMs > 0)) throw new RangeError('stepTimeoutMs must be > 0');
  registerAgentRoutes(app, {
    instruments: o.deps.instruments,
    steps,
    limiter,
    memory: ctx.memory,
    stepTimeoutMs,
    // Market data's own defaults when it does not run in this process.
    capacity: (iv) => market?.barCapacity(iv) ?? DEFAULT_BAR_CAPACITY[iv],
  });
  return { limiter, cache, stepTimeoutMs };
}
