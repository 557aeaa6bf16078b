// Checks every route's parsed input after schema validation, in one place:
// - Ajv coerces "Infinity", "1e400" (and JSON bodies parse 1e400) to ±Infinity, and then skips
//   minimum/maximum for non-finite numbers: a schema alone lets them through to SQL.
// - JSON "\ud800" escapes decode to lone surrogates, which cannot be stored and read back
//   unchanged (they would become U+FFFD).
// Both are answered 400 naming the parameter. Telemetry bodies are raw bytes, checked by the
// payload parser instead.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../../errors.js';
import { isWellFormedText } from '../../util/unicode.js';

/** Bodies are small management documents; deeper nesting is not walked (and not produced by any route). */
const MAX_DEPTH = 8;

function findInvalid(value: unknown, path: string, depth: number): { path: string; problem: string } | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : { path, problem: 'must be a finite number' };
  if (typeof value === 'string') return isWellFormedText(value) ? null : { path, problem: 'has a lone surrogate (invalid Unicode)' };
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object' || value instanceof Uint8Array) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findInvalid(value[i], `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!isWellFormedText(key)) return { path, problem: 'has a property name with a lone surrogate (invalid Unicode)' };
    const found = findInvalid((value as Record<string, unknown>)[key], path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return null;
}

export async function rejectInvalidInput(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  for (const [where, value] of [
    ['querystring', request.query],
    ['params', request.params],
    ['body', request.body],
  ] as const) {
    const found = findInvalid(value, '', 0);
    if (found !== null) {
      throw Errors.badRequest(`${where}/${found.path} ${found.problem}`, { [found.path || where]: found.problem });
    }
  }
}
