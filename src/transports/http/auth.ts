// Bearer-token authentication for people, and the tenant/role checks built on it.
import type { FastifyRequest } from 'fastify';
import { Errors } from '../../errors.js';
import type { Principal, TokenService } from '../../domains/auth/tokens.js';
import type { Role } from '../../ports/metadata-store.js';

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

/** preHandler that requires a valid access token and, optionally, one of the given roles. */
export function requireUser(tokens: TokenService, roles?: Role[]) {
  return async (request: FastifyRequest) => {
    const token = bearerToken(request);
    if (!token) throw Errors.unauthorized('missing Authorization: Bearer <accessToken>');
    const principal = await tokens.verify(token, 'access');
    if (roles && !roles.includes(principal.role)) throw Errors.forbidden(`requires role ${roles.join(' or ')}`);
    request.principal = principal;
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw Errors.unauthorized('not authenticated');
  return request.principal;
}

export const bearerSecurity = [{ bearerAuth: [] }];
