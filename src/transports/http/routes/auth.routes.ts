import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService, ClientInfo } from '../../../domains/auth/auth.service.js';
import { permissionsOf } from '../../../domains/auth/permissions.js';
import { bearerSecurity, principalOf } from '../auth.js';
import { problemSchema } from '../problem.js';

const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String({ description: 'single use: each refresh returns a new one; reusing an old one ends the session' }),
  expiresIn: Type.Integer({ description: 'access token lifetime in seconds' }),
});
export const SessionSchema = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  tenantId: Type.String(),
  createdAt: Type.Integer(),
  lastUsedAt: Type.Integer(),
  expiresAt: Type.Integer(),
  revokedAt: Type.Union([Type.Integer(), Type.Null()]),
  revokedReason: Type.Union([Type.String(), Type.Null()]),
  ip: Type.String(),
  userAgent: Type.String(),
});
const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1 }) });

export function clientOf(request: FastifyRequest): ClientInfo {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : '' };
}

export function authRoutes(app: FastifyInstance, auth: AuthService): void {
  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Log in with email and password',
        description: 'Limited per client address and account; repeated failures lock the account with growing delays (429 with Retry-After).',
        body: Type.Object({ email: Type.String({ minLength: 1, maxLength: 320 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }),
        response: { 200: TokenPair, 401: problemSchema, 429: problemSchema },
      },
      // Brute-force protection, far stricter than the general API limit. Keyed on the socket
      // address and the account named in the body (hence after parsing), never on a header the
      // client chooses. Per-account lockout (AuthService) covers attempts from many addresses.
      config: {
        rateLimit: {
          max: 20,
          timeWindow: '1 minute',
          hook: 'preHandler',
          keyGenerator: (request: FastifyRequest) =>
            `login|${request.ip}|${String((request.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}`,
        },
      },
    },
    async (request) => {
      const { email, password } = request.body as { email: string; password: string };
      return auth.login(email, password, clientOf(request));
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token for a new token pair (rotation)',
        body: RefreshBody,
        response: { 200: TokenPair, 401: problemSchema },
      },
    },
    async (request) => auth.refresh((request.body as { refreshToken: string }).refreshToken, clientOf(request)),
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        tags: ['auth'],
        summary: 'End the session of this refresh token (its access tokens stop working too)',
        body: RefreshBody,
        response: { 204: Type.Null(), 401: problemSchema },
      },
    },
    async (request, reply) => {
      await auth.logout((request.body as { refreshToken: string }).refreshToken);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'Who the access token belongs to',
        security: bearerSecurity,
        response: {
          200: Type.Object({
            userId: Type.String(),
            tenantId: Type.String(),
            role: Type.String(),
            sessionId: Type.String(),
            customRoleId: Type.Union([Type.String(), Type.Null()]),
            permissions: Type.Array(Type.String(), { description: 'what this token may do (custom role, else role)' }),
          }),
          401: problemSchema,
        },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return { userId: p.userId, tenantId: p.tenantId, role: p.role, sessionId: p.sessionId, customRoleId: p.customRoleId ?? null, permissions: [...permissionsOf(p)] };
    },
  );

  app.post(
    '/api/v1/auth/password',
    {
      schema: {
        tags: ['auth'],
        summary: 'Change your own password (other sessions end)',
        security: bearerSecurity,
        body: Type.Object({ currentPassword: Type.String({ minLength: 1 }), newPassword: Type.String({ minLength: 1 }) }),
        response: { 204: Type.Null(), 400: problemSchema, 401: problemSchema, 403: problemSchema },
      },
    },
    async (request, reply) => {
      const body = request.body as { currentPassword: string; newPassword: string };
      await auth.changeOwnPassword(principalOf(request), body.currentPassword, body.newPassword);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/auth/sessions',
    {
      schema: {
        tags: ['auth'],
        summary: 'Your active sessions',
        security: bearerSecurity,
        response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), 401: problemSchema },
      },
    },
    async (request) => ({ items: await auth.sessions(principalOf(request).userId) }),
  );

  app.delete(
    '/api/v1/auth/sessions/:id',
    {
      schema: {
        tags: ['auth'],
        summary: 'End one of your sessions',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String() }),
        response: { 204: Type.Null(), 401: problemSchema, 404: problemSchema },
      },
    },
    async (request, reply) => {
      const id = (request.params as { id: string }).id;
      if (!(await auth.revokeOwnSession(principalOf(request).userId, id))) return reply.status(404).send({ error: 'NOT_FOUND', message: `no session ${id}` });
      return reply.status(204).send();
    },
  );
}
