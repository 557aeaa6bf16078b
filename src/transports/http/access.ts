// Access control for every HTTP route in one place: at registration each route must have an
// entry in ROUTE_ACCESS (src/domains/auth/permissions.ts) or the server refuses to start; on each
// request one hook authenticates (access token or API key) and checks the route's permission; on
// each response one hook writes the audit entry of a state-changing call.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../../errors.js';
import type { AuditService } from '../../domains/audit/audit.service.js';
import type { ApiKeysService } from '../../domains/auth/api-keys.service.js';
import { looksLikeApiKey } from '../../domains/auth/api-keys.service.js';
import type { AuthService } from '../../domains/auth/auth.service.js';
import type { ApiRateLimits } from '../../domains/tenants/api-rate-limits.js';
import { accessFor, permissionsOf, type RouteAccess } from '../../domains/auth/permissions.js';
import { bearerToken } from './auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
}

export interface AccessDeps {
  auth: AuthService;
  apiKeys: ApiKeysService;
  audit: AuditService;
  /** Per caller and per tenant request limits (after authentication); none when absent. */
  rateLimits?: ApiRateLimits;
}

/** Routes whose audit entry the domain writes itself (it knows the account and the outcome). */
const SELF_AUDITED = new Set(['POST /api/v1/auth/login']);
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

async function authenticate(request: FastifyRequest, deps: AccessDeps) {
  const apiKeyHeader = request.headers['x-api-key'];
  const bearer = bearerToken(request);
  if (typeof apiKeyHeader === 'string' && apiKeyHeader) return deps.apiKeys.authenticate(apiKeyHeader);
  if (!bearer) throw Errors.unauthorized('missing Authorization: Bearer <accessToken or API key>');
  return looksLikeApiKey(bearer) ? deps.apiKeys.authenticate(bearer) : deps.auth.authenticate(bearer);
}

/**
 * Registers the checks. Call it after the rate limiter is registered and before any route: the
 * check is appended to each route's own onRequest hooks, so it runs after the per-address rate
 * limit (a flood of bad credentials is limited too) and before the body is read.
 */
export function installAccessControl(app: FastifyInstance, deps: AccessDeps): void {
  const check = async (request: FastifyRequest) => {
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public' || access === 'device') return;
    const principal = await authenticate(request, deps);
    // Before the principal is attached: a refused flood is not audited (see onResponse).
    await deps.rateLimits?.check(principal);
    request.principal = principal;
    if (access === 'self') {
      if (principal.apiKeyId) throw Errors.forbidden('an API key has no own account; use a login');
      return;
    }
    if (!permissionsOf(principal).has(access)) {
      const holder = principal.permissions ? 'your custom role' : `role ${principal.role}`;
      throw Errors.forbidden(`requires permission ${access} (${holder} lacks it)`);
    }
    if (principal.scopes && !principal.scopes.includes(access)) throw Errors.forbidden(`this API key is not scoped for ${access}`);
  };

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const access = accessFor(method, route.url);
      if (access === undefined) {
        throw new Error(`route ${method} ${route.url} has no entry in ROUTE_ACCESS (src/domains/auth/permissions.ts)`);
      }
      route.config = { ...(route.config as object), access };
    }
    const own = route.onRequest;
    route.onRequest = [...(own === undefined ? [] : Array.isArray(own) ? own : [own]), check] as typeof route.onRequest;
  });

  app.addHook('onResponse', async (request, reply) => {
    const access = request.routeOptions.config?.access;
    const url = request.routeOptions.url;
    if (access === undefined || access === 'device' || READ_METHODS.has(request.method) || !url) return;
    const action = `${request.method} ${url}`;
    if (SELF_AUDITED.has(action)) return;
    const p = request.principal;
    // Refused by the rate limiter before anyone was identified: counted in metrics, not audited
    // (auditing a flood would turn the limiter's protection into a write amplifier).
    if (reply.statusCode === 429 && !p) return;
    const params = request.params as Record<string, string> | undefined;
    deps.audit.record({
      tenantId: p?.tenantId ?? null,
      actor: p?.userId ?? null,
      actorEmail: null,
      action,
      target: params?.id ?? params?.type ?? null,
      ip: request.ip,
      outcome: reply.statusCode < 400 ? 'success' : 'failure',
      statusCode: reply.statusCode,
    });
  });
}
