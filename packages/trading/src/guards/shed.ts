/**
 * The guards' refusal: 503 + Retry-After with a coded body, for memory pressure (./memory-guard.ts,
 * the agent endpoints and POST /api/metrics) and overload (./admission.ts, the agent endpoints).
 */
import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '../errors.ts';
import { sendError } from '../http/http-app.ts';

export const RETRY_AFTER_SECONDS = '1';

/** 503 + Retry-After with a coded body (memory pressure, overload). */
export function shed(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  reply.header('retry-after', RETRY_AFTER_SECONDS);
  return sendError(reply, code, message);
}
