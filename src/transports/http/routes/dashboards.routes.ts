import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DashboardInput, DashboardService } from '../../../domains/dashboards/dashboards.service.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';

// Widget kinds the console draws; a grid of 12 columns.
const WidgetSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  type: Type.Union([
    Type.Literal('chart'),
    Type.Literal('stat'),
    Type.Literal('alarms'),
    Type.Literal('status'),
    Type.Literal('text'),
    Type.Literal('gauge'),
    Type.Literal('table'),
    Type.Literal('map'),
    Type.Literal('command'),
  ]),
  x: Type.Integer({ minimum: 0, maximum: 11 }),
  y: Type.Integer({ minimum: 0, maximum: 1000 }),
  w: Type.Integer({ minimum: 1, maximum: 12 }),
  h: Type.Integer({ minimum: 1, maximum: 50 }),
  title: Type.Optional(Type.String({ maxLength: 200 })),
  config: Type.Record(Type.String(), Type.Unknown(), { description: 'per widget type: deviceId, key, agg, text …' }),
});
const DashboardSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  widgets: Type.Array(WidgetSchema),
  rangeMs: Type.Integer({ description: 'time range shared by the widgets, ms back from now' }),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const DashboardBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  widgets: Type.Optional(Type.Array(WidgetSchema, { maxItems: 100 })),
  rangeMs: Type.Optional(Type.Integer({ minimum: 60_000, maximum: 5 * 365 * 86_400_000 })),
});
const IdParams = Type.Object({ id: Type.String() });

export function dashboardRoutes(app: FastifyInstance, dashboards: DashboardService): void {
  const anyUser = requireUser();
  const writer = requireUser();
  const tags = ['dashboards'];

  app.get(
    '/api/v1/dashboards',
    {
      preHandler: anyUser,
      schema: { tags, summary: "The tenant's dashboards", security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(DashboardSchema) }) } },
    },
    async (request) => ({ items: await dashboards.list(principalOf(request).tenantId) }),
  );

  app.post(
    '/api/v1/dashboards',
    {
      preHandler: writer,
      schema: {
        tags,
        summary: 'Create a dashboard',
        security: bearerSecurity,
        body: DashboardBody,
        response: { 201: DashboardSchema, 400: problemSchema, 403: problemSchema },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await dashboards.create(principalOf(request).tenantId, request.body as DashboardInput)),
  );

  app.get(
    '/api/v1/dashboards/:id',
    {
      preHandler: anyUser,
      schema: { tags, summary: 'One dashboard', security: bearerSecurity, params: IdParams, response: { 200: DashboardSchema, 404: problemSchema } },
    },
    async (request) => dashboards.get(principalOf(request).tenantId, (request.params as { id: string }).id),
  );

  app.put(
    '/api/v1/dashboards/:id',
    {
      preHandler: writer,
      schema: {
        tags,
        summary: "Replace a dashboard's name, widgets and range",
        security: bearerSecurity,
        params: IdParams,
        body: DashboardBody,
        response: { 200: DashboardSchema, 400: problemSchema, 404: problemSchema },
      },
    },
    async (request) =>
      dashboards.replace(principalOf(request).tenantId, (request.params as { id: string }).id, request.body as DashboardInput),
  );

  app.delete(
    '/api/v1/dashboards/:id',
    {
      preHandler: writer,
      schema: { tags, summary: 'Delete a dashboard', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), 404: problemSchema } },
    },
    async (request, reply) => {
      await dashboards.remove(principalOf(request).tenantId, (request.params as { id: string }).id);
      return reply.status(204).send();
    },
  );
}
