// One alarm, its history of transitions (who, when) and users' comments. The list and the
// acknowledge/dismiss/clear actions live in analytics.routes.ts, where alarms started.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AlarmService } from '../../../domains/alarms/alarms.service.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';
import { AlarmSchema } from './analytics.routes.js';

const EntrySchema = Type.Object({
  at: Type.Integer(),
  kind: Type.String({ description: 'raised, acknowledged, dismissed, cleared, repeated or comment' }),
  by: Type.String({ description: 'user:<id>, rule:<id> or system' }),
  text: Type.Union([Type.String(), Type.Null()]),
});
const History = Type.Object({ items: Type.Array(EntrySchema) });
const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function alarmRoutes(app: FastifyInstance, alarms: AlarmService): void {
  const anyUser = requireUser();
  const writer = requireUser();

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
