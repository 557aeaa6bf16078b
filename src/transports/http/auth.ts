// Bearer credentials and the principal set by the access hook (src/transports/http/access.ts),
// which authenticates every request and checks its permission before any handler runs.
import type { FastifyRequest } from 'fastify';
import { Errors } from '../../errors.js';
import type { Principal } from '../../domains/auth/tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match ? match[1]!.trim() : null;
}

/** preHandler asserting the access hook authenticated the caller (defence in depth: a route
 *  wrongly listed as public still cannot run a handler that needs a principal). */
export function requireUser() {
  return async (request: FastifyRequest) => {
    if (!request.principal) throw Errors.unauthorized('not authenticated');
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw Errors.unauthorized('not authenticated');
  return request.principal;
}

export const bearerSecurity: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKey: [] }];
