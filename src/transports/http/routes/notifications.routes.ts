// Notification channels, policies, silences and the delivery log. Channel secrets go in and are
// never sent back: the API shows hasSecret only.
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { NotificationService } from '../../../domains/notifications/notifications.service.js';
import type { NotificationKind } from '../../../ports/notification-store.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { MAX_OFFSET, problemSchema } from '../problem.js';

const nullableString = Type.Union([Type.String(), Type.Null()]);
const strings = Type.Array(Type.String());
const ChannelSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  type: Type.String(),
  config: Type.Unknown({ description: 'url, to, smtp {host, port, tls, user, from} or topic, by type' }),
  hasSecret: Type.Boolean(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const PolicySchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  severities: strings,
  alarmTypes: strings,
  deviceIds: strings,
  ruleIds: strings,
  channelIds: strings,
  escalateAfterMs: Type.Union([Type.Integer(), Type.Null()]),
  escalateToChannelIds: strings,
  raiseSeverity: Type.Union([Type.String({ description: 'on escalation the severity is raised to this' }), Type.Null()]),
  createdAt: Type.Integer(),
});
const SilenceSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  deviceId: nullableString,
  ruleId: nullableString,
  labels: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()], { description: 'devices carrying every one of these labels' })),
  untilMs: Type.Integer(),
  reason: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.Integer(),
});
const DeliverySchema = Type.Object({
  id: Type.String(),
  alarmId: Type.String(),
  channelId: nullableString,
  channelType: Type.String(),
  event: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  lastError: nullableString,
  responseStatus: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const AnyBody = Type.Object({}, { additionalProperties: true, description: 'see docs/rules.md' });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 422: problemSchema };

export function notificationRoutes(app: FastifyInstance, service: NotificationService): void {
  const anyUser = requireUser();
  const admin = requireUser();
  const writer = requireUser();

  const collection = (
    path: string,
    kind: NotificationKind,
    schema: TSchema,
    who: typeof admin,
    create: (tenantId: string, body: unknown, by: string) => Promise<unknown>,
    list: (tenantId: string) => Promise<unknown[]>,
  ) => {
    const tags = [kind === 'silence' ? 'silences' : 'notifications'];
    app.post(path, { preHandler: who, schema: { tags, summary: `Create a ${kind}`, security: bearerSecurity, body: AnyBody, response: { 201: schema, ...errors } } }, async (request, reply) => {
      const principal = principalOf(request);
      return reply.status(201).send(await create(principal.tenantId, request.body, principal.userId));
    });
    app.get(path, { preHandler: anyUser, schema: { tags, summary: `List ${kind === 'policy' ? 'policies' : `${kind}s`}`, security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(schema) }) } } }, async (request) => ({
      items: await list(principalOf(request).tenantId),
    }));
    app.delete(
      `${path}/:id`,
      { preHandler: who, schema: { tags, summary: `Delete a ${kind}`, security: bearerSecurity, params: Type.Object({ id: Type.String() }), response: { 204: Type.Null(), ...errors } } },
      async (request, reply) => {
        await service.delete(kind, principalOf(request).tenantId, (request.params as { id: string }).id);
        return reply.status(204).send();
      },
    );
  };

  collection('/api/v1/notifications/channels', 'channel', ChannelSchema, admin, (t, b) => service.createChannel(t, b), (t) => service.listChannels(t));
  collection('/api/v1/notifications/policies', 'policy', PolicySchema, writer, (t, b) => service.createPolicy(t, b), (t) => service.listPolicies(t));
  collection('/api/v1/silences', 'silence', SilenceSchema, writer, (t, b, by) => service.createSilence(t, b, by), (t) => service.listSilences(t));

  app.get(
    '/api/v1/notifications/deliveries',
    {
      preHandler: anyUser,
      schema: {
        tags: ['notifications'],
        summary: 'Delivery log: every notification with its attempts, status and last response, newest first',
        security: bearerSecurity,
        querystring: Type.Object({
          alarmId: Type.Optional(Type.String()),
          channelId: Type.Optional(Type.String()),
          status: Type.Optional(Type.String({ enum: ['pending', 'delivered', 'retrying', 'dead', 'held'] })),
          offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(DeliverySchema), total: Type.Integer() }) },
      },
    },
    async (request) => service.deliveries(principalOf(request).tenantId, request.query as never),
  );
}
