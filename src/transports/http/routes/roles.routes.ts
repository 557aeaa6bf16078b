// Roles of a tenant: the built-in ones (fixed) and the tenant's custom permission sets, which its
// admins create, edit and delete and assign to users (PATCH /api/v1/users/:id {customRoleId}).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { CustomRoleInput, CustomRolesService } from '../../../domains/auth/custom-roles.service.js';
import { CUSTOM_ROLE_PERMISSIONS, ROLE_PERMISSIONS, ROLES } from '../../../domains/auth/permissions.js';
import { bearerSecurity, principalOf } from '../auth.js';
import { problemSchema } from '../problem.js';

const PermissionSchema = Type.Union(CUSTOM_ROLE_PERMISSIONS.map((p) => Type.Literal(p)));
export const CustomRoleSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  description: Type.String(),
  permissions: Type.Array(Type.String()),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const BuiltInRoleSchema = Type.Object({ name: Type.String(), permissions: Type.Array(Type.String()) });
const RoleBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  permissions: Type.Array(PermissionSchema, { minItems: 1, description: 'a subset of what you hold; never tenants:manage' }),
});
const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const tags = ['roles'];

export function roleRoutes(app: FastifyInstance, roles: CustomRolesService): void {
  const id = (request: { params: unknown }) => (request.params as { id: string }).id;

  app.get(
    '/api/v1/roles',
    {
      schema: {
        tags,
        summary: 'The built-in roles and your tenant\'s custom roles, with their permissions',
        security: bearerSecurity,
        response: { 200: Type.Object({ builtIn: Type.Array(BuiltInRoleSchema), custom: Type.Array(CustomRoleSchema), permissions: Type.Array(Type.String({ description: 'what a custom role may hold' })) }), ...errors },
      },
    },
    async (request) => ({
      builtIn: ROLES.map((name) => ({ name, permissions: [...ROLE_PERMISSIONS[name]] })),
      custom: await roles.list(principalOf(request)),
      permissions: [...CUSTOM_ROLE_PERMISSIONS],
    }),
  );

  app.post(
    '/api/v1/roles',
    { schema: { tags, summary: 'Create a custom role (a permission set within what you hold)', security: bearerSecurity, body: RoleBody, response: { 201: CustomRoleSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await roles.create(principalOf(request), request.body as CustomRoleInput)),
  );

  app.get('/api/v1/roles/:id', { schema: { tags, summary: 'One custom role', security: bearerSecurity, params: IdParams, response: { 200: CustomRoleSchema, ...errors } } }, async (request) =>
    roles.get(principalOf(request), id(request)),
  );

  app.put(
    '/api/v1/roles/:id',
    {
      schema: {
        tags,
        summary: "Replace a custom role's name, description and permissions (its users hold the new set at once)",
        security: bearerSecurity,
        params: IdParams,
        body: RoleBody,
        response: { 200: CustomRoleSchema, ...errors },
      },
    },
    async (request) => roles.update(principalOf(request), id(request), request.body as CustomRoleInput),
  );

  app.delete(
    '/api/v1/roles/:id',
    { schema: { tags, summary: 'Delete a custom role (its users fall back to their built-in role; their sessions end)', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await roles.remove(principalOf(request), id(request));
      return reply.status(204).send();
    },
  );
}
