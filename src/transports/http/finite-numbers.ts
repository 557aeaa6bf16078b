// Ajv coerces "Infinity", "1e400" (and JSON bodies parse 1e400) to ±Infinity, and then skips
// minimum/maximum for non-finite numbers: a schema alone lets them through to SQL. This hook
// runs after validation and answers 400 naming the parameter, for every route at once.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../../errors.js';

/** Bodies are small management documents; deeper nesting is not walked (and not produced by any route). */
const MAX_DEPTH = 8;

function findNonFinite(value: unknown, path: string, depth: number): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object' || value instanceof Uint8Array) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNonFinite(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const found = findNonFinite((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

export async function rejectNonFiniteNumbers(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  for (const [where, value] of [
    ['querystring', request.query],
    ['params', request.params],
    ['body', request.body],
  ] as const) {
    const found = findNonFinite(value, '', 0);
    if (found !== null) {
      throw Errors.badRequest(`${where}/${found} must be a finite number`, { [found]: 'not finite' });
    }
  }
}
