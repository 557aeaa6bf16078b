// Platform administration (superadmin): tenants, their suspension and quotas; and a tenant's own
// view of its quota and usage.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TenantsService } from '../../../domains/tenants/tenants.service.js';
import type { UsersService } from '../../../domains/auth/users.service.js';
import { bearerSecurity, principalOf } from '../auth.js';
import { problemSchema } from '../problem.js';
import { UserSchema } from './users.routes.js';

const TenantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.Integer(),
  suspended: Type.Boolean(),
  quota: Type.Object({ maxDevices: Type.Union([Type.Integer(), Type.Null()]), maxPointsPerSec: Type.Union([Type.Integer(), Type.Null()]) }),
  usage: Type.Object({ devices: Type.Integer(), pointsPerSec: Type.Number({ description: 'accepted points per second, last 10 s' }) }),
});
const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };
const tags = ['tenants'];

export function tenantRoutes(
  app: FastifyInstance,
  tenants: TenantsService,
  users: UsersService,
  deleteTenantDevices: (tenantId: string) => Promise<void>,
): void {
  app.get('/api/v1/tenants', { schema: { tags, summary: 'Every tenant with quota and usage', security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(TenantSchema) }), ...errors } } }, async () => ({
    items: await tenants.list(),
  }));

  app.post(
    '/api/v1/tenants',
    {
      schema: {
        tags,
        summary: 'Create a tenant with its first admin',
        security: bearerSecurity,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          maxDevices: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 100_000_000 }), Type.Null()])),
          maxPointsPerSec: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()])),
          admin: Type.Object({ email: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }), password: Type.String({ minLength: 1 }) }),
        }),
        response: { 201: Type.Intersect([TenantSchema, Type.Object({ admin: UserSchema })]), ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; maxDevices?: number | null; maxPointsPerSec?: number | null; admin: { email: string; password: string } };
      const created = await tenants.create(body, (tenantId, admin) => users.createInTenant(tenantId, { ...admin, role: 'admin' }));
      return reply.status(201).send(created);
    },
  );

  app.patch(
    '/api/v1/tenants/:id',
    {
      schema: {
        tags,
        summary: 'Suspend/resume a tenant (suspended: its users cannot log in, its devices are refused) or change its quota',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({
          suspended: Type.Optional(Type.Boolean()),
          maxDevices: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 100_000_000 }), Type.Null()])),
          maxPointsPerSec: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), Type.Null()])),
        }),
        response: { 200: TenantSchema, ...errors },
      },
    },
    async (request) => tenants.update((request.params as { id: string }).id, request.body as { suspended?: boolean; maxDevices?: number | null; maxPointsPerSec?: number | null }, principalOf(request).tenantId),
  );

  app.delete('/api/v1/tenants/:id', { schema: { tags, summary: 'Delete a tenant with its users, API keys, devices and their data', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await tenants.remove((request.params as { id: string }).id, principalOf(request).tenantId, deleteTenantDevices);
    return reply.status(204).send();
  });

  app.get('/api/v1/tenant', { schema: { tags, summary: 'Your tenant: quota and usage', security: bearerSecurity, response: { 200: TenantSchema, ...errors } } }, async (request) =>
    tenants.get(principalOf(request).tenantId),
  );
}
