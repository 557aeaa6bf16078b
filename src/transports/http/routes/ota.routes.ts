// OTA packages: upload, list, assign to a device or a device type; and the device-side download
// (ThingsBoard-compatible GET /api/v1/{token}/firmware?title=&version=&size=&chunk=).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_PACKAGE_BYTES, OtaError, type OtaService } from '../../../domains/device-api/ota.service.js';
import type { CampaignService } from '../../../domains/device-api/campaign.service.js';
import type { DeviceService } from '../../../domains/devices/devices.service.js';
import type { OtaKind } from '../../../ports/ota-package-store.js';
import { Errors } from '../../../errors.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';
import { deviceFromRequest } from '../device-auth.js';

const Kind = Type.Union([Type.Literal('firmware'), Type.Literal('software')]);
const PackageSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  kind: Kind,
  title: Type.String(),
  version: Type.String(),
  deviceType: Type.Union([Type.String(), Type.Null()]),
  checksumAlgorithm: Type.Literal('SHA256'),
  checksum: Type.String(),
  sizeBytes: Type.Integer(),
  createdAt: Type.Integer(),
});
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '^\\S(.*\\S)?$' });

export function otaRoutes(app: FastifyInstance, deps: { devices: DeviceService; ota: OtaService; campaigns: CampaignService }): void {
  const { ota, devices } = deps;
  const anyUser = requireUser();
  const writer = requireUser();

  app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: MAX_PACKAGE_BYTES }, (_req, body, done) => done(null, body));
    scope.post(
      '/api/v1/ota/packages',
      {
        preHandler: writer,
        schema: {
          tags: ['OTA'],
          summary: 'Upload a firmware or software package (body: the bytes, Content-Type: application/octet-stream)',
          description: `The SHA-256 checksum and size are computed here. At most ${MAX_PACKAGE_BYTES} bytes.`,
          security: bearerSecurity,
          querystring: Type.Object({ kind: Kind, title: Name, version: Name, deviceType: Type.Optional(Name) }),
          response: { 201: PackageSchema, 409: problemSchema, 413: problemSchema, 415: problemSchema, ...errors },
        },
      },
      async (request, reply) => {
        if (!Buffer.isBuffer(request.body)) throw Object.assign(new Error('send the package bytes with Content-Type: application/octet-stream'), { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
        const q = request.query as { kind: OtaKind; title: string; version: string; deviceType?: string };
        return reply.status(201).send(await ota.upload(principalOf(request).tenantId, q, request.body));
      },
    );
  });

  app.get(
    '/api/v1/ota/packages',
    {
      preHandler: anyUser,
      schema: {
        tags: ['OTA'],
        summary: 'List packages, newest first',
        security: bearerSecurity,
        querystring: Type.Object({ kind: Type.Optional(Kind) }),
        response: { 200: Type.Object({ items: Type.Array(PackageSchema) }), ...errors },
      },
    },
    async (request) => ({ items: await ota.list(principalOf(request).tenantId, (request.query as { kind?: OtaKind }).kind) }),
  );

  app.delete(
    '/api/v1/ota/packages/:id',
    {
      preHandler: writer,
      schema: { tags: ['OTA'], summary: 'Delete a package', security: bearerSecurity, params: Type.Object({ id: Type.String() }), response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await ota.remove(principalOf(request).tenantId, (request.params as { id: string }).id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/ota/packages/:id/assign',
    {
      preHandler: writer,
      schema: {
        tags: ['OTA'],
        summary: 'Assign a package to every device of a type',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String() }),
        body: Type.Object({ deviceType: Name }),
        response: { 200: Type.Object({ assigned: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { id } = request.params as { id: string };
      return { assigned: await ota.assignToType(p.tenantId, id, (request.body as { deviceType: string }).deviceType, `user:${p.userId}`) };
    },
  );

  app.put(
    '/api/v1/devices/:id/ota/:kind',
    {
      preHandler: writer,
      schema: {
        tags: ['OTA'],
        summary: 'Assign a package to a device (sets the fw_*/sw_* shared attributes the device watches)',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String(), kind: Kind }),
        body: Type.Object({ packageId: Type.String() }),
        response: { 200: PackageSchema, ...errors },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const params = request.params as { id: string; kind: OtaKind };
      const device = await devices.get(p.tenantId, params.id);
      const pkg = await ota.get(p.tenantId, (request.body as { packageId: string }).packageId);
      if (pkg.kind !== params.kind) throw Errors.badRequest(`package ${pkg.id} is ${pkg.kind}, not ${params.kind}`);
      return ota.assign({ tenantId: p.tenantId, deviceId: device.id }, pkg.id, `user:${p.userId}`);
    },
  );

  app.get(
    '/api/v1/devices/:id/ota/:kind',
    {
      preHandler: anyUser,
      schema: {
        tags: ['OTA'],
        summary: 'The package assigned to a device (its progress is the fw_state / sw_state telemetry it reports)',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String(), kind: Kind }),
        response: { 200: Type.Object({ assigned: Type.Union([PackageSchema, Type.Null()]) }), ...errors },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const params = request.params as { id: string; kind: OtaKind };
      const device = await devices.get(p.tenantId, params.id);
      return { assigned: await ota.assigned({ tenantId: p.tenantId, deviceId: device.id }, params.kind) };
    },
  );

  app.delete(
    '/api/v1/devices/:id/ota/:kind',
    {
      preHandler: writer,
      schema: { tags: ['OTA'], summary: 'Withdraw the assignment', security: bearerSecurity, params: Type.Object({ id: Type.String(), kind: Kind }), response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const params = request.params as { id: string; kind: OtaKind };
      const device = await devices.get(p.tenantId, params.id);
      await ota.unassign({ tenantId: p.tenantId, deviceId: device.id }, params.kind, `user:${p.userId}`);
      return reply.status(204).send();
    },
  );

  const CampaignSchema = Type.Object({
    id: Type.String(),
    tenantId: Type.String(),
    packageId: Type.String(),
    deviceType: Type.String(),
    stagePercents: Type.Array(Type.Number()),
    maxFailureRatio: Type.Number(),
    maxAlarmRatio: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
    status: Type.Union([Type.Literal('running'), Type.Literal('paused'), Type.Literal('completed'), Type.Literal('rolled_back')]),
    stage: Type.Integer({ description: 'zero-based index of the stage being rolled out' }),
    devices: Type.Array(
      Type.Object({
        deviceId: Type.String(),
        stage: Type.Integer(),
        state: Type.String({ description: 'pending, assigned, UPDATED or FAILED' }),
        previousPackageId: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'assigned before the campaign; restored by rollback' })),
        alarmedAt: Type.Optional(Type.Integer({ description: 'when the updated device raised an alarm' })),
      }),
    ),
    pausedReason: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer(),
  });
  const CampaignParams = Type.Object({ id: Type.String() });

  app.post(
    '/api/v1/ota/campaigns',
    {
      preHandler: writer,
      schema: {
        tags: ['OTA'],
        summary: 'Start a staged rollout of a package to the devices of a type; pauses itself when a stage fails too often',
        description: 'Stages are cumulative percentages of the devices (e.g. [5, 25, 100]). A stage is done when each device reported fw_state UPDATED or FAILED; more than maxFailureRatio FAILED pauses the campaign.',
        security: bearerSecurity,
        body: Type.Object({
          packageId: Type.String(),
          deviceType: Name,
          stagePercents: Type.Array(Type.Number({ exclusiveMinimum: 0, maximum: 100 }), { minItems: 1, maxItems: 20, default: [5, 25, 100] }),
          maxFailureRatio: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
          maxAlarmRatio: Type.Optional(
            Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
              description: 'pause when more than this share of a stage raised an alarm (anomaly or rule) after reporting UPDATED; null: not watched',
            }),
          ),
        }),
        response: { 201: CampaignSchema, ...errors },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      return reply.status(201).send(await deps.campaigns.create(p.tenantId, request.body as never, `user:${p.userId}`));
    },
  );

  app.get(
    '/api/v1/ota/campaigns',
    {
      preHandler: anyUser,
      schema: { tags: ['OTA'], summary: 'List campaigns, newest first', security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(CampaignSchema) }), ...errors } },
    },
    async (request) => ({ items: await deps.campaigns.list(principalOf(request).tenantId) }),
  );

  app.get(
    '/api/v1/ota/campaigns/:id',
    {
      preHandler: anyUser,
      schema: { tags: ['OTA'], summary: 'One campaign with the state of each device', security: bearerSecurity, params: CampaignParams, response: { 200: CampaignSchema, ...errors } },
    },
    async (request) => deps.campaigns.get(principalOf(request).tenantId, (request.params as { id: string }).id),
  );

  app.post(
    '/api/v1/ota/campaigns/:id/resume',
    {
      preHandler: writer,
      schema: {
        tags: ['OTA'],
        summary: 'Resume a paused campaign with its next stage',
        security: bearerSecurity,
        params: CampaignParams,
        response: { 200: CampaignSchema, 409: problemSchema, ...errors },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return deps.campaigns.resume(p.tenantId, (request.params as { id: string }).id, `user:${p.userId}`);
    },
  );

  app.post(
    '/api/v1/ota/campaigns/:id/rollback',
    {
      preHandler: writer,
      schema: {
        tags: ['OTA'],
        summary: 'Stop a campaign and give the devices it reached their previous firmware assignment back',
        security: bearerSecurity,
        params: CampaignParams,
        response: { 200: CampaignSchema, 409: problemSchema, ...errors },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return deps.campaigns.rollback(p.tenantId, (request.params as { id: string }).id, `user:${p.userId}`);
    },
  );

  for (const kind of ['firmware', 'software'] as const) {
    app.get(
      `/api/v1/:token/${kind}`,
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: `Download ${kind} (ThingsBoard-compatible), whole or in chunks`,
          description: 'title and version name the package (default: the one assigned to the device). size = chunk size in bytes, chunk = zero-based index; a chunk past the end is empty.',
          params: Type.Object({ token: Type.String() }),
          querystring: Type.Object({
            title: Type.Optional(Type.String()),
            version: Type.Optional(Type.String()),
            size: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PACKAGE_BYTES })),
            chunk: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_PACKAGE_BYTES })),
          }),
          response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errors },
        },
      },
      async (request: FastifyRequest, reply) => {
        const device = await deviceFromRequest(devices, request, (request.params as { token: string }).token);
        if (!device) throw Errors.unauthorized('unknown or revoked device token');
        const q = request.query as { title?: string; version?: string; size?: number; chunk?: number };
        try {
          const bytes = await ota.chunk({ tenantId: device.tenantId, deviceId: device.id }, kind, q, q.chunk ?? 0, q.size ?? 0);
          return reply.type('application/octet-stream').send(bytes);
        } catch (err) {
          if (err instanceof OtaError) throw Errors.notFound(err.message);
          throw err;
        }
      },
    );
  }
}
