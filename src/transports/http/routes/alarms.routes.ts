// One alarm, its history of transitions (who, when) and users' comments. The list and the
// acknowledge/dismiss/clear actions live in analytics.routes.ts, where alarms started.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AlarmService } from '../../../domains/alarms/alarms.service.js';
import { IncidentService } from '../../../domains/alarms/incidents.js';
import { ALARM_STATUSES } from '../../../ports/alarm-store.js';
import { MAX_TIME_MS } from '../../../util/duration.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { MAX_OFFSET, problemSchema } from '../problem.js';
import { AlarmSchema } from './analytics.routes.js';

const EntrySchema = Type.Object({
  at: Type.Integer(),
  kind: Type.String({ description: 'raised, acknowledged, dismissed, cleared, repeated, escalated or comment' }),
  by: Type.String({ description: 'user:<id>, rule:<id>, policy:<id> (escalation) or system' }),
  text: Type.Union([Type.String(), Type.Null()]),
});
const History = Type.Object({ items: Type.Array(EntrySchema) });
const IdParams = Type.Object({ id: Type.String() });
const IncidentSchema = Type.Object({
  id: Type.String({ description: 'the id of its first alarm' }),
  tenantId: Type.String(),
  ruleId: Type.Union([Type.String(), Type.Null()]),
  ruleName: Type.Union([Type.String(), Type.Null()]),
  label: Type.Object({ key: Type.String(), value: Type.String() }),
  status: Type.Union(ALARM_STATUSES.map((s) => Type.Literal(s)), { description: 'ACTIVE_* while a member is active; *_ACK once every member is acknowledged' }),
  severity: Type.String({ description: 'the highest of its members' }),
  startedAt: Type.Integer(),
  updatedAt: Type.Integer(),
  alarmCount: Type.Integer(),
  activeCount: Type.Integer(),
  alarms: Type.Array(AlarmSchema, { description: 'member alarms, newest first (at most 1000)' }),
});
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function alarmRoutes(app: FastifyInstance, alarms: AlarmService): void {
  const anyUser = requireUser();
  const writer = requireUser();
  const incidents = new IncidentService(alarms);

  app.get(
    '/api/v1/incidents',
    {
      preHandler: anyUser,
      schema: {
        tags: ['alarms'],
        summary: 'Incidents (alarms of one rule grouped by a device label), newest first, with their member alarms',
        security: bearerSecurity,
        querystring: Type.Object({
          ruleId: Type.Optional(Type.String()),
          from: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIME_MS, description: 'started at or after (epoch ms)' })),
          to: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIME_MS, description: 'started before (epoch ms)' })),
          offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(IncidentSchema), total: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const { from, to, ...filter } = request.query as { from?: number; to?: number; ruleId?: string; offset: number; limit: number };
      return incidents.list(principalOf(request).tenantId, { ...filter, fromMs: from, toMs: to });
    },
  );

  app.get(
    '/api/v1/incidents/:id',
    { preHandler: anyUser, schema: { tags: ['alarms'], summary: 'One incident with its member alarms', security: bearerSecurity, params: IdParams, response: { 200: IncidentSchema, ...errors } } },
    async (request) => incidents.get(principalOf(request).tenantId, (request.params as { id: string }).id),
  );

  app.post(
    '/api/v1/incidents/:id/acknowledge',
    {
      preHandler: writer,
      schema: { tags: ['alarms'], summary: 'Acknowledge every member alarm of the incident', security: bearerSecurity, params: IdParams, response: { 200: IncidentSchema, ...errors } },
    },
    async (request) => {
      const principal = principalOf(request);
      return incidents.acknowledge(principal.tenantId, (request.params as { id: string }).id, `user:${principal.userId}`);
    },
  );

  app.get(
    '/api/v1/alarms/:id',
    { preHandler: anyUser, schema: { tags: ['alarms'], summary: 'One alarm', security: bearerSecurity, params: IdParams, response: { 200: AlarmSchema, ...errors } } },
    async (request) => alarms.get(principalOf(request).tenantId, (request.params as { id: string }).id),
  );

  app.get(
    '/api/v1/alarms/:id/history',
    {
      preHandler: anyUser,
      schema: { tags: ['alarms'], summary: 'Transitions (with who did each) and comments, oldest first', security: bearerSecurity, params: IdParams, response: { 200: History, ...errors } },
    },
    async (request) => ({ items: await alarms.history(principalOf(request).tenantId, (request.params as { id: string }).id) }),
  );

  app.post(
    '/api/v1/alarms/:id/comments',
    {
      preHandler: writer,
      schema: {
        tags: ['alarms'],
        summary: 'Comment on an alarm; returns the history',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({ text: Type.String({ minLength: 1, maxLength: 4000 }) }),
        response: { 200: History, ...errors },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const items = await alarms.comment(principal.tenantId, (request.params as { id: string }).id, (request.body as { text: string }).text, `user:${principal.userId}`);
      return { items };
    },
  );
}
