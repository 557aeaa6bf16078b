// Every HTTP error leaves as one JSON problem body: {error, message, details?}.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';

export interface Problem {
  error: string;
  message: string;
  details?: unknown;
}

export function problemFor(err: unknown): { status: number; body: Problem } {
  if (err instanceof AppError) {
    return { status: err.statusCode, body: { error: err.code, message: err.message, details: err.details } };
  }
  const e = err as FastifyError & { validation?: unknown };
  if (e.validation) {
    return { status: 400, body: { error: 'BAD_REQUEST', message: e.message, details: e.validation } };
  }
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, body: { error: 'PAYLOAD_TOO_LARGE', message: e.message } };
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, body: { error: 'UNSUPPORTED_MEDIA_TYPE', message: e.message } };
  if (e.statusCode === 429) return { status: 429, body: { error: 'RATE_LIMITED', message: e.message } };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: { error: e.code ?? 'BAD_REQUEST', message: e.message } };
  }
  return { status: 500, body: { error: 'INTERNAL', message: 'internal error' } };
}

export function errorHandler(log: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body } = problemFor(err);
    // A refusal the server logged where it happened (503 with a retry hint) is not logged again per request.
    const detailsRetry = (body.details as { retryAfterSec?: unknown } | undefined)?.retryAfterSec;
    const retryAfterSec = err instanceof AppError && err.retryAfterSec !== undefined ? err.retryAfterSec : typeof detailsRetry === 'number' ? detailsRetry : undefined;
    if (retryAfterSec !== undefined) void reply.header('retry-after', String(retryAfterSec));
    else if (status >= 500) log.error({ err, url: request.url }, 'request failed');
    void reply.status(status).type('application/json').send(body);
  };
}

/** Paging offsets beyond this are refused (400): no list Vigil holds is longer, and SQL OFFSET is a 64-bit integer. */
export const MAX_OFFSET = 1_000_000_000;

export const problemSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, details: {} },
  required: ['error', 'message'],
} as const;
