import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TelemetryQueryService } from '../../../domains/telemetry/query.service.js';
import type { RejectedLog } from '../../../domains/telemetry/rejected-log.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';

const IdParams = Type.Object({ id: Type.String() });
const Value = Type.Union([Type.Number(), Type.Boolean(), Type.String()]);

export function telemetryRoutes(
  app: FastifyInstance,
  queries: TelemetryQueryService,
  rejected: RejectedLog,
): void {
  const anyUser = requireUser();

  app.get(
    '/api/v1/devices/:id/telemetry',
    {
      preHandler: anyUser,
      schema: {
        tags: ['telemetry'],
        summary: 'Raw points, or windowed aggregates when interval/agg is given',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({
          keys: Type.Optional(Type.String({ description: 'comma-separated keys (at most 1000); all keys when absent' })),
          from: Type.Optional(Type.String({ description: 'epoch ms or ISO-8601, within ±8.64e15 ms (the range of a Date); default to - 24h' })),
          to: Type.Optional(Type.String({ description: 'epoch ms or ISO-8601, within ±8.64e15 ms; default now' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, description: 'raw points at most (capped by the server)' })),
          order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
          interval: Type.Optional(Type.String({ description: 'window: 10s, 1m, 1h, 1d or ms, at most 8.64e15 ms and 100,000 windows in from..to' })),
          agg: Type.Optional(Type.String({ description: 'comma-separated: avg,min,max,sum,count' })),
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            from: Type.Integer(),
            to: Type.Integer(),
            interval: Type.Optional(Type.Integer()),
            aggregates: Type.Optional(Type.Array(Type.String())),
            data: Type.Record(
              Type.String(),
              Type.Array(
                Type.Object({
                  ts: Type.Integer(),
                  value: Type.Optional(Value),
                  avg: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
                  min: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
                  max: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
                  sum: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
                  count: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
                }),
              ),
            ),
          }),
          400: problemSchema,
          404: problemSchema,
        },
      },
    },
    async (request) =>
      queries.query(principalOf(request).tenantId, (request.params as { id: string }).id, request.query as never),
  );

  app.get(
    '/api/v1/devices/:id/telemetry/latest',
    {
      preHandler: anyUser,
      schema: {
        tags: ['telemetry'],
        summary: 'Latest value of each key',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({ keys: Type.Optional(Type.String({ description: 'comma-separated keys (at most 1000); all keys when absent' })) }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            data: Type.Record(Type.String(), Type.Object({ ts: Type.Integer(), value: Value })),
          }),
          400: problemSchema,
          404: problemSchema,
        },
      },
    },
    async (request) =>
      queries.latest(principalOf(request).tenantId, (request.params as { id: string }).id, (request.query as { keys?: string }).keys),
  );

  app.get(
    '/api/v1/devices/:id/keys',
    {
      preHandler: anyUser,
      schema: {
        tags: ['telemetry'],
        summary: 'Keys the device has sent',
        security: bearerSecurity,
        params: IdParams,
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            keys: Type.Array(Type.String()),
            units: Type.Record(Type.String(), Type.String(), { description: 'unit per key, for keys whose data declared one (e.g. SenML u/bu)' }),
          }),
          404: problemSchema,
        },
      },
    },
    async (request) => queries.keys(principalOf(request).tenantId, (request.params as { id: string }).id),
  );

  app.get(
    '/api/v1/ingest/rejected',
    {
      preHandler: requireUser(),
      schema: {
        tags: ['telemetry'],
        summary: 'Recently rejected payloads (dead-letter log), newest first',
        description:
          "Entries of the caller tenant's devices. Payloads whose device could not be identified (unknown or revoked token) may belong to any tenant, so only the platform superadmin sees them.",
        security: bearerSecurity,
        querystring: Type.Object({
          deviceId: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.Integer(),
                at: Type.Integer(),
                tenantId: Type.Union([Type.String(), Type.Null()]),
                deviceId: Type.Union([Type.String(), Type.Null()]),
                transport: Type.String(),
                reason: Type.String(),
                message: Type.String(),
                payloadHead: Type.String(),
                payloadBytes: Type.Integer(),
              }),
            ),
          }),
          403: problemSchema,
        },
      },
    },
    async (request) => {
      const { tenantId, role } = principalOf(request);
      const q = request.query as { deviceId?: string; limit: number };
      return {
        items: rejected.list({ tenantId, deviceId: q.deviceId, limit: q.limit, includeUnattributed: role === 'superadmin' }),
      };
    },
  );
}
