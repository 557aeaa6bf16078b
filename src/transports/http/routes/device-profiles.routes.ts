// Management API for device profiles: a telemetry schema and an inactivity timeout for the
// devices whose type is the profile's name.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DeviceProfileService, ProfileInput } from '../../../domains/devices/profiles.service.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';

const SchemaKey = Type.Object(
  {
    type: Type.Union([Type.Literal('number'), Type.Literal('integer'), Type.Literal('boolean'), Type.Literal('string')]),
    unit: Type.Optional(Type.String({ maxLength: 50 })),
    min: Type.Optional(Type.Number({ description: 'inclusive; number and integer keys' })),
    max: Type.Optional(Type.Number({ description: 'inclusive; number and integer keys' })),
  },
  { additionalProperties: false },
);
const TelemetrySchema = Type.Object(
  {
    keys: Type.Record(Type.String({ minLength: 1, maxLength: 200 }), SchemaKey),
    unknownKeys: Type.Union([Type.Literal('accept'), Type.Literal('reject')], { description: 'keys the schema does not name' }),
  },
  { additionalProperties: false },
);
const ProfileBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'devices whose type is this name follow the profile' }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    telemetrySchema: Type.Optional(Type.Union([TelemetrySchema, Type.Null()])),
    onViolation: Type.Optional(
      Type.Union([Type.Literal('reject'), Type.Literal('flag')], {
        description: 'reject (default): out-of-schema points are refused and dead-lettered; flag: stored and logged as flagged',
      }),
    ),
    inactivityTimeoutMs: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1000, maximum: 30 * 86_400_000 }), Type.Null()], { description: 'expected reporting interval; server default when null' }),
    ),
  },
  { additionalProperties: false },
);
const Profile = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  description: Type.String(),
  telemetrySchema: Type.Union([TelemetrySchema, Type.Null()]),
  onViolation: Type.Union([Type.Literal('reject'), Type.Literal('flag')]),
  inactivityTimeoutMs: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function deviceProfileRoutes(app: FastifyInstance, profiles: DeviceProfileService): void {
  const user = requireUser();
  const tenantOf = (request: Parameters<typeof principalOf>[0]) => principalOf(request).tenantId;
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  app.post(
    '/api/v1/device-profiles',
    { preHandler: user, schema: { tags: ['device profiles'], summary: 'Create a device profile', security: bearerSecurity, body: ProfileBody, response: { 201: Profile, 409: problemSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await profiles.create(tenantOf(request), request.body as ProfileInput)),
  );
  app.get(
    '/api/v1/device-profiles',
    { preHandler: user, schema: { tags: ['device profiles'], summary: 'List device profiles', security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(Profile) }), ...errors } } },
    async (request) => ({ items: profiles.list(tenantOf(request)) }),
  );
  app.get(
    '/api/v1/device-profiles/:id',
    { preHandler: user, schema: { tags: ['device profiles'], summary: 'Get a device profile', security: bearerSecurity, params: IdParams, response: { 200: Profile, ...errors } } },
    async (request) => profiles.get(tenantOf(request), idOf(request)),
  );
  app.put(
    '/api/v1/device-profiles/:id',
    {
      preHandler: user,
      schema: { tags: ['device profiles'], summary: 'Replace a device profile', security: bearerSecurity, params: IdParams, body: ProfileBody, response: { 200: Profile, 409: problemSchema, ...errors } },
    },
    async (request) => profiles.replace(tenantOf(request), idOf(request), request.body as ProfileInput),
  );
  app.delete(
    '/api/v1/device-profiles/:id',
    { preHandler: user, schema: { tags: ['device profiles'], summary: 'Delete a device profile', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await profiles.remove(tenantOf(request), idOf(request));
      return reply.status(204).send();
    },
  );
}
