// Tenant administration: users (with sessions and lockouts) and API keys.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiKeysService } from '../../../domains/auth/api-keys.service.js';
import { PERMISSIONS, ROLES } from '../../../domains/auth/permissions.js';
import type { UsersService } from '../../../domains/auth/users.service.js';
import type { Role } from '../../../ports/metadata-store.js';
import { bearerSecurity, principalOf } from '../auth.js';
import { problemSchema } from '../problem.js';
import { SessionSchema } from './auth.routes.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));
export const UserSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  email: Type.String(),
  role: RoleSchema,
  customRoleId: Type.Union([Type.String(), Type.Null()], { description: 'a custom role held in place of role (its permissions apply); null: none' }),
  permissions: Type.Array(Type.String(), { description: 'what the user may do now' }),
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
  failedLogins: Type.Integer({ description: 'failed logins since the last success' }),
  lockedUntil: Type.Union([Type.Integer(), Type.Null()], { description: 'epoch ms until which logins are refused; null when not locked' }),
});
const ApiKeySchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  scopes: Type.Array(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.Integer(),
  expiresAt: Type.Integer(),
  revokedAt: Type.Union([Type.Integer(), Type.Null()]),
  lastUsedAt: Type.Union([Type.Integer(), Type.Null()]),
});
const IdParams = Type.Object({ id: Type.String() });
/** `nullable` rather than a union with null: ajv's type coercion would turn null into "" in a union's string branch. */
const CustomRoleRef = Type.Unsafe<string | null>(Type.String({ minLength: 1, nullable: true, description: 'id of a custom role of your tenant (GET /api/v1/roles); null: none' }));
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const tags = ['users'];

export function userRoutes(app: FastifyInstance, users: UsersService, apiKeys: ApiKeysService): void {
  const id = (request: { params: unknown }) => (request.params as { id: string }).id;

  app.get('/api/v1/users', { schema: { tags, summary: 'Users of your tenant', security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(UserSchema) }), ...errors } } }, async (request) => ({
    items: await users.list(principalOf(request)),
  }));

  app.post(
    '/api/v1/users',
    {
      schema: {
        tags,
        summary: 'Create a user in your tenant (you cannot grant more than your own role holds)',
        security: bearerSecurity,
        body: Type.Object({
          email: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }),
          password: Type.String({ minLength: 1 }),
          role: RoleSchema,
          customRoleId: Type.Optional(CustomRoleRef),
        }),
        response: { 201: UserSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await users.create(principalOf(request), request.body as { email: string; password: string; role: Role; customRoleId?: string | null })),
  );

  app.get('/api/v1/users/:id', { schema: { tags, summary: 'One user, with lockout state', security: bearerSecurity, params: IdParams, response: { 200: UserSchema, ...errors } } }, async (request) =>
    users.get(principalOf(request), id(request)),
  );

  app.patch(
    '/api/v1/users/:id',
    {
      schema: {
        tags,
        summary: 'Change role or custom role, or disable/enable (ends the user\'s sessions)',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({ role: Type.Optional(RoleSchema), customRoleId: Type.Optional(CustomRoleRef), disabled: Type.Optional(Type.Boolean()) }),
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) => users.update(principalOf(request), id(request), request.body as { role?: Role; disabled?: boolean; customRoleId?: string | null }),
  );

  app.delete('/api/v1/users/:id', { schema: { tags, summary: 'Delete a user', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await users.remove(principalOf(request), id(request));
    return reply.status(204).send();
  });

  app.post(
    '/api/v1/users/:id/password',
    {
      schema: {
        tags,
        summary: "Reset another user's password (ends their sessions)",
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({ password: Type.String({ minLength: 1 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await users.resetPassword(principalOf(request), id(request), (request.body as { password: string }).password);
      return reply.status(204).send();
    },
  );

  app.get('/api/v1/users/:id/sessions', { schema: { tags, summary: "A user's active sessions", security: bearerSecurity, params: IdParams, response: { 200: Type.Object({ items: Type.Array(SessionSchema) }), ...errors } } }, async (request) => ({
    items: await users.sessions(principalOf(request), id(request)),
  }));

  app.delete('/api/v1/users/:id/sessions', { schema: { tags, summary: "End all of a user's sessions", security: bearerSecurity, params: IdParams, response: { 200: Type.Object({ revoked: Type.Integer() }), ...errors } } }, async (request) => ({
    revoked: await users.revokeSessions(principalOf(request), id(request)),
  }));

  app.delete('/api/v1/users/:id/lockout', { schema: { tags, summary: 'Lift a login lockout', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await users.unlock(principalOf(request), id(request));
    return reply.status(204).send();
  });

  app.get('/api/v1/api-keys', { schema: { tags: ['api keys'], summary: "Your tenant's API keys (never the secrets)", security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(ApiKeySchema) }), ...errors } } }, async (request) => ({
    items: await apiKeys.list(principalOf(request)),
  }));

  app.post(
    '/api/v1/api-keys',
    {
      schema: {
        tags: ['api keys'],
        summary: 'Create an API key; the key is shown only in this response',
        description: 'Use it as `Authorization: Bearer <key>` or `X-API-Key: <key>`. It holds only the listed permissions, within your role.',
        security: bearerSecurity,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          scopes: Type.Array(Type.Union(PERMISSIONS.map((p) => Type.Literal(p))), { minItems: 1 }),
          expiresInDays: Type.Integer({ minimum: 1, maximum: 366, default: 90 }),
        }),
        response: { 201: Type.Intersect([ApiKeySchema, Type.Object({ key: Type.String() })]), ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await apiKeys.create(principalOf(request), request.body as { name: string; scopes: string[]; expiresInDays: number })),
  );

  app.delete('/api/v1/api-keys/:id', { schema: { tags: ['api keys'], summary: 'Revoke an API key', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await apiKeys.revoke(principalOf(request), id(request));
    return reply.status(204).send();
  });
}
