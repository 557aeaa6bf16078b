import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DeviceService } from '../../../domains/devices/devices.service.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { MAX_OFFSET, problemSchema } from '../problem.js';

const Labels = Type.Record(Type.String(), Type.String());
const Connectivity = Type.Union([Type.Literal('connected'), Type.Literal('reporting'), Type.Literal('stale'), Type.Literal('offline')], {
  description:
    'reporting: data within the expected interval (profile inactivity timeout); connected: session open, no data yet; stale: session open, no data for longer than the interval; offline: neither',
});
export const DeviceSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  type: Type.String(),
  labels: Labels,
  status: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
  connectivity: Connectivity,
  disabled: Type.Boolean({ description: 'credentials refused and sessions closed (POST /devices/{id}/disable); data kept' }),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  lastSeenAt: Type.Union([Type.Integer(), Type.Null()]),
});
const DeviceWithToken = Type.Intersect([
  DeviceSchema,
  Type.Object({ accessToken: Type.String({ description: 'device credential; shown only now' }) }),
]);
const IdParams = Type.Object({ id: Type.String() });

/** `site:north,floor:2` → {site: 'north', floor: '2'} (the value may hold further colons). */
export function parseLabelQuery(query: string): Record<string, string> {
  const labels: Record<string, string> = Object.create(null);
  for (const pair of query.split(',')) {
    const at = pair.indexOf(':');
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return labels;
}

export function deviceRoutes(app: FastifyInstance, devices: DeviceService): void {
  const anyUser = requireUser();
  const writer = requireUser();

  app.post(
    '/api/v1/devices',
    {
      preHandler: writer,
      schema: {
        tags: ['devices'],
        summary: 'Register a device; returns its access token once',
        security: bearerSecurity,
        body: Type.Object({
          name: Type.String({ minLength: 1, maxLength: 200 }),
          type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          labels: Type.Optional(Labels),
        }),
        response: { 201: DeviceWithToken, 400: problemSchema, 401: problemSchema, 403: problemSchema },
      },
    },
    async (request, reply) => {
      const created = await devices.create(principalOf(request).tenantId, request.body as { name: string });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/api/v1/devices',
    {
      preHandler: anyUser,
      schema: {
        tags: ['devices'],
        summary: 'List devices with paging and filters',
        security: bearerSecurity,
        querystring: Type.Object({
          name: Type.Optional(Type.String({ description: 'case-insensitive substring' })),
          type: Type.Optional(Type.String()),
          label: Type.Optional(
            Type.String({ pattern: '^[^:,]+:[^,]*(,[^:,]+:[^,]*)*$', description: 'devices carrying every label given as key:value, comma-separated (site:north,floor:2)' }),
          ),
          status: Type.Optional(Type.Union([Type.Literal('online'), Type.Literal('offline')])),
          connectivity: Type.Optional(Connectivity),
          sort: Type.Optional(
            Type.Union([Type.Literal('name'), Type.Literal('type'), Type.Literal('createdAt'), Type.Literal('lastSeenAt')], {
              description: 'sort column; creation order when absent',
            }),
          ),
          order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
          offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(DeviceSchema), total: Type.Integer() }) },
      },
    },
    async (request) => {
      const { label, ...query } = request.query as { label?: string };
      return devices.list(principalOf(request).tenantId, { ...query, ...(label ? { labels: parseLabelQuery(label) } : {}) } as never);
    },
  );

  app.get(
    '/api/v1/devices/:id',
    {
      preHandler: anyUser,
      schema: {
        tags: ['devices'],
        summary: 'Get one device',
        security: bearerSecurity,
        params: IdParams,
        response: { 200: DeviceSchema, 404: problemSchema },
      },
    },
    async (request) => devices.get(principalOf(request).tenantId, (request.params as { id: string }).id),
  );

  app.patch(
    '/api/v1/devices/:id',
    {
      preHandler: writer,
      schema: {
        tags: ['devices'],
        summary: 'Change a device name, type or labels',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            type: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            labels: Type.Optional(Labels),
          },
          { additionalProperties: false },
        ),
        response: { 200: DeviceSchema, 404: problemSchema },
      },
    },
    async (request) => devices.update(principalOf(request).tenantId, (request.params as { id: string }).id, request.body as never),
  );

  app.delete(
    '/api/v1/devices/:id',
    {
      preHandler: writer,
      schema: {
        tags: ['devices'],
        summary: 'Delete a device and its telemetry',
        security: bearerSecurity,
        params: IdParams,
        response: { 204: Type.Null(), 404: problemSchema },
      },
    },
    async (request, reply) => {
      await devices.remove(principalOf(request).tenantId, (request.params as { id: string }).id);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/devices/:id/credentials/rotate',
    {
      preHandler: writer,
      schema: {
        tags: ['devices'],
        summary: 'Issue a new access token; the old one stops working at once',
        security: bearerSecurity,
        params: IdParams,
        response: { 200: DeviceWithToken, 404: problemSchema },
      },
    },
    async (request) => devices.rotateCredentials(principalOf(request).tenantId, (request.params as { id: string }).id),
  );
}
