// Platform administration (superadmin): tenants, their suspension and quotas; and a tenant's own
// view of its quota and usage.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TenantLimitsInput, TenantsService } from '../../../domains/tenants/tenants.service.js';
import type { UsersService } from '../../../domains/auth/users.service.js';
import { bearerSecurity, principalOf } from '../auth.js';
import { problemSchema } from '../problem.js';
import { UserSchema } from './users.routes.js';

const nullableInt = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });
const TenantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.Integer(),
  suspended: Type.Boolean(),
  quota: Type.Object(
    {
      maxDevices: nullableInt('devices; null: unlimited'),
      maxPointsPerSec: nullableInt('telemetry points accepted per second (burst 2 s worth); null: unlimited'),
      maxSeries: nullableInt("series (device x key); null: the platform's VIGIL_MAX_SERIES_PER_TENANT"),
      maxStorageBytes: nullableInt('telemetry storage (estimated bytes); at or over it telemetry is refused; null: unlimited'),
    },
    { description: "the tenant's own quotas" },
  ),
  rateLimits: Type.Object(
    {
      apiRequestsPerMin: nullableInt('API requests per minute, all callers of the tenant together; null: platform default'),
      apiRequestsPerMinPerUser: nullableInt('API requests per minute per user login or API key; null: platform default'),
    },
    { description: "the tenant's own API rate limits (429 with Retry-After beyond them)" },
  ),
  effective: Type.Object(
    {
      maxDevices: nullableInt('null: unlimited'),
      maxPointsPerSec: nullableInt('null: unlimited'),
      maxSeries: Type.Integer(),
      maxStorageBytes: nullableInt('null: unlimited'),
      apiRequestsPerMin: Type.Integer(),
      apiRequestsPerMinPerUser: Type.Integer(),
    },
    { description: 'the limits in force: own, else the platform default' },
  ),
  usage: Type.Object({
    devices: Type.Integer(),
    pointsPerSec: Type.Number({ description: 'accepted points per second, last 10 s' }),
    series: Type.Integer({ description: 'series (device x key) held' }),
    storageBytes: Type.Integer({ description: "telemetry storage used, estimated: the tenant's share of stored points x the store's bytes per point (measured every minute)" }),
    storedPoints: Type.Integer({ description: 'telemetry points stored (measured every minute, plus those accepted since on this node)' }),
  }),
});
// One schema with `nullable` rather than a union: with type coercion on, ajv turns a null into 0
// in a union's integer branch (null would mean "a quota of 0"); `nullable` adds null to the types.
const limit = (minimum: number, maximum: number) => Type.Optional(Type.Unsafe<number | null>(Type.Integer({ minimum, maximum, nullable: true })));
const limitFields = {
  maxDevices: limit(0, 100_000_000),
  maxPointsPerSec: limit(1, 1_000_000_000),
  maxSeries: limit(0, 1_000_000_000),
  maxStorageBytes: limit(0, Number.MAX_SAFE_INTEGER),
  apiRequestsPerMin: limit(1, 100_000_000),
  apiRequestsPerMinPerUser: limit(1, 100_000_000),
};
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
          ...limitFields,
          admin: Type.Object({ email: Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' }), password: Type.String({ minLength: 1 }) }),
        }),
        response: { 201: Type.Intersect([TenantSchema, Type.Object({ admin: UserSchema })]), ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body as TenantLimitsInput & { name: string; admin: { email: string; password: string } };
      const created = await tenants.create(body, (tenantId, admin) => users.createInTenant(tenantId, { ...admin, role: 'admin' }));
      return reply.status(201).send(created);
    },
  );

  app.patch(
    '/api/v1/tenants/:id',
    {
      schema: {
        tags,
        summary: 'Suspend/resume a tenant (suspended: its users cannot log in, its devices are refused) or change its quotas and API rate limits (null: back to the default)',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({
          suspended: Type.Optional(Type.Boolean()),
          ...limitFields,
        }),
        response: { 200: TenantSchema, ...errors },
      },
    },
    async (request) => tenants.update((request.params as { id: string }).id, request.body as TenantLimitsInput & { suspended?: boolean }, principalOf(request).tenantId),
  );

  app.delete('/api/v1/tenants/:id', { schema: { tags, summary: 'Delete a tenant with its users, API keys, devices and their data', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await tenants.remove((request.params as { id: string }).id, principalOf(request).tenantId, deleteTenantDevices);
    return reply.status(204).send();
  });

  app.get('/api/v1/tenant', { schema: { tags, summary: 'Your tenant: quotas, API rate limits and usage against them', security: bearerSecurity, response: { 200: TenantSchema, ...errors } } }, async (request) =>
    tenants.get(principalOf(request).tenantId),
  );
}
