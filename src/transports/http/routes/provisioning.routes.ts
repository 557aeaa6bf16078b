// Management API for provisioning profiles, claiming a device, and bulk import from CSV.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { importDevices } from '../../../domains/device-api/device-import.js';
import type { ProvisioningService } from '../../../domains/device-api/provisioning.service.js';
import type { DeviceService } from '../../../domains/devices/devices.service.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';

const Strategy = Type.Union([Type.Literal('allow_new'), Type.Literal('check_preprovisioned')]);
const Profile = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  deviceType: Type.String(),
  strategy: Strategy,
  provisionKey: Type.String(),
  createdAt: Type.Integer(),
});
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function provisioningRoutes(app: FastifyInstance, deps: { devices: DeviceService; provisioning: ProvisioningService; bodyLimitBytes: number }): void {
  const { provisioning } = deps;
  const anyUser = requireUser();
  const admin = requireUser();
  const writer = requireUser();

  app.post(
    '/api/v1/provisioning/profiles',
    {
      preHandler: admin,
      schema: {
        tags: ['provisioning'],
        summary: 'Create a provisioning profile; returns its secret once',
        description: 'Devices present provisionKey and provisionSecret to register themselves (MQTT username "provision", or POST /api/v1/provision).',
        security: bearerSecurity,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          deviceType: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'type of the devices created (default: the name)' })),
          strategy: Strategy,
          provisionKey: Type.Optional(Type.String({ minLength: 8, maxLength: 100 })),
          provisionSecret: Type.Optional(Type.String({ minLength: 8, maxLength: 100 })),
        }),
        response: { 201: Type.Intersect([Profile, Type.Object({ provisionSecret: Type.String() })]), 409: problemSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await provisioning.createProfile(principalOf(request).tenantId, request.body as never)),
  );

  app.get(
    '/api/v1/provisioning/profiles',
    {
      preHandler: anyUser,
      schema: { tags: ['provisioning'], summary: 'List provisioning profiles', security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(Profile) }), ...errors } },
    },
    async (request) => ({ items: await provisioning.listProfiles(principalOf(request).tenantId) }),
  );

  app.delete(
    '/api/v1/provisioning/profiles/:id',
    {
      preHandler: admin,
      schema: { tags: ['provisioning'], summary: 'Delete a provisioning profile', security: bearerSecurity, params: Type.Object({ id: Type.String() }), response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await provisioning.deleteProfile(principalOf(request).tenantId, (request.params as { id: string }).id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/devices/claim',
    {
      preHandler: writer,
      schema: {
        tags: ['provisioning'],
        summary: 'Claim a device that opened a claim window (v1/devices/me/claim) with its secret',
        security: bearerSecurity,
        body: Type.Object({ deviceName: Type.String({ minLength: 1, maxLength: 200 }), secretKey: Type.String({ maxLength: 200, default: '' }) }),
        response: { 200: Type.Object({ deviceId: Type.String(), claimedAt: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const body = request.body as { deviceName: string; secretKey: string };
      return provisioning.claim(p.tenantId, p.userId, body.deviceName, body.secretKey);
    },
  );

  app.register(async (scope) => {
    scope.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string', bodyLimit: deps.bodyLimitBytes }, (_req, body, done) => done(null, body));
    scope.post(
      '/api/v1/devices/import',
      {
        preHandler: writer,
        schema: {
          tags: ['devices'],
          summary: 'Register devices from CSV (Content-Type: text/csv); one report line per row',
          description: 'Header line with columns name (required), type, labels ("k=v;k2=v2"), accessToken. Rows that fail are reported and skipped; the others are created.',
          security: bearerSecurity,
          response: {
            200: Type.Object({
              created: Type.Integer(),
              failed: Type.Integer(),
              rows: Type.Array(
                Type.Object({
                  line: Type.Integer(),
                  name: Type.String(),
                  status: Type.Union([Type.Literal('created'), Type.Literal('error')]),
                  id: Type.Optional(Type.String()),
                  accessToken: Type.Optional(Type.String()),
                  error: Type.Optional(Type.String()),
                }),
              ),
            }),
            413: problemSchema,
            415: problemSchema,
            ...errors,
          },
        },
      },
      async (request) => {
        if (typeof request.body !== 'string') throw Object.assign(new Error('send the CSV with Content-Type: text/csv'), { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
        return importDevices(deps.devices, principalOf(request).tenantId, request.body);
      },
    );
  });
}
