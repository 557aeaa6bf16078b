// Alarms raised by analytics, the models running per series, and predictive-maintenance
// policies and device health.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { AlarmService } from '../../../domains/alarms/alarms.service.js';
import type { LiveDetection } from '../../../domains/analytics/live-detection.js';
import type { MaintenanceService } from '../../../domains/analytics/maintenance.service.js';
import type { RulService } from '../../../domains/analytics/rul.service.js';
import { parseTime } from '../../../domains/telemetry/query.service.js';
import { ALARM_STATUSES, type AlarmStore } from '../../../ports/alarm-store.js';
import { parseStatusQuery, STATUS_QUERY_PATTERN } from '../../../domains/alarms/status-query.js';
import type { MetadataStore } from '../../../ports/metadata-store.js';
import { Errors } from '../../../errors.js';
import { MAX_DURATION_MS, MAX_TIME_MS } from '../../../util/duration.js';

/** The longest trend window a maintenance policy reads (as for time-to-threshold queries). */
const MAX_WINDOW_MS = 366 * 86_400_000;
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { MAX_OFFSET, problemSchema } from '../problem.js';

export const AlarmSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  deviceId: Type.String(),
  type: Type.Union([Type.Literal('anomaly'), Type.Literal('predicted_failure'), Type.Literal('rule')]),
  key: Type.Union([Type.String(), Type.Null()]),
  severity: Type.String(),
  status: Type.Union(ALARM_STATUSES.map((s) => Type.Literal(s)), { description: 'active or cleared × unacknowledged or acknowledged' }),
  dismissed: Type.Boolean({ description: 'dismissed as a false alarm (then CLEARED_ACK)' }),
  message: Type.String(),
  details: Type.Unknown(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  acknowledgedAt: Type.Union([Type.Integer(), Type.Null()]),
  clearedAt: Type.Union([Type.Integer(), Type.Null()]),
});

const PolicySchema = Type.Object({
  deviceType: Type.String(),
  key: Type.String(),
  threshold: Type.Number(),
  failWhen: Type.Union([Type.Literal('above'), Type.Literal('below'), Type.Null()]),
  horizonMs: Type.Integer(),
  windowMs: Type.Integer(),
  updatedAt: Type.Integer(),
});

export interface AnalyticsRouteDeps {
  alarms: AlarmService;
  detection: LiveDetection;
  maintenance: MaintenanceService;
  rul: RulService;
  alarmStore: AlarmStore;
  metadata: MetadataStore;
}

export function analyticsRoutes(app: FastifyInstance, d: AnalyticsRouteDeps): void {
  const anyUser = requireUser();
  const writer = requireUser();

  app.get(
    '/api/v1/alarms',
    {
      preHandler: anyUser,
      schema: {
        tags: ['alarms'],
        summary: 'Alarms of the tenant, newest first',
        security: bearerSecurity,
        querystring: Type.Object({
          deviceId: Type.Optional(Type.String()),
          status: Type.Optional(
            Type.String({
              pattern: STATUS_QUERY_PATTERN,
              description: `comma-separated: ${ALARM_STATUSES.join(', ')}, or active, cleared, ack, unack, dismissed (open, acknowledged: the first model's names)`,
            }),
          ),
          ruleId: Type.Optional(Type.String({ description: 'alarms of this rule' })),
          incidentId: Type.Optional(Type.String({ description: 'members of this incident' })),
          type: Type.Optional(Type.String({ enum: ['anomaly', 'predicted_failure', 'rule'] })),
          severity: Type.Optional(Type.String({ enum: ['critical', 'major', 'minor', 'warning', 'indeterminate'] })),
          from: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIME_MS, description: 'raised at or after (epoch ms)' })),
          to: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_TIME_MS, description: 'raised before (epoch ms)' })),
          offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(AlarmSchema), total: Type.Integer() }) },
      },
    },
    async (request) => {
      const { from, to, status, ...filter } = request.query as { from?: number; to?: number; status?: string };
      return d.alarms.list(principalOf(request).tenantId, { ...filter, ...parseStatusQuery(status), fromMs: from, toMs: to } as never);
    },
  );

  for (const [action, summary] of [
    ['acknowledge', 'Acknowledge the alarm (ACTIVE_UNACK → ACTIVE_ACK, CLEARED_UNACK → CLEARED_ACK)'],
    ['dismiss', 'Dismiss the alarm as a false alarm: acknowledged and cleared (lowers the model\'s precision signal)'],
    ['clear', 'Mark the condition as resolved (ACTIVE_* → CLEARED_*)'],
  ] as const) {
    app.post(
      `/api/v1/alarms/:id/${action}`,
      {
        preHandler: writer,
        schema: {
          tags: ['alarms'],
          summary,
          security: bearerSecurity,
          params: Type.Object({ id: Type.String() }),
          response: { 200: AlarmSchema, 404: problemSchema, 409: problemSchema },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        return d.alarms.act(principal.tenantId, (request.params as { id: string }).id, action, `user:${principal.userId}`);
      },
    );
  }

  app.get(
    '/api/v1/models',
    {
      preHandler: anyUser,
      schema: {
        tags: ['analytics'],
        summary: 'Anomaly models running per series: kind, version, training window and precision signals',
        security: bearerSecurity,
        querystring: Type.Object({ deviceId: Type.Optional(Type.String()) }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                deviceId: Type.String(),
                key: Type.String(),
                kind: Type.String(),
                version: Type.Integer(),
                trainedFrom: Type.Union([Type.Integer(), Type.Null()]),
                trainedTo: Type.Union([Type.Integer(), Type.Null()]),
                points: Type.Integer(),
                learning: Type.Boolean({ description: 'true while the model learns the series: it scores nothing and raises no alarm yet' }),
                pointsNeeded: Type.Integer({ description: 'points the model still needs before it judges the series; 0 once learned' }),
                alarms: Type.Object({ open: Type.Integer(), acknowledged: Type.Integer(), dismissed: Type.Integer() }),
                precision: Type.Union([Type.Number(), Type.Null()], {
                  description: 'acknowledged / (acknowledged + dismissed); null until users have judged an alarm',
                }),
                falseAlarmRate: Type.Union([Type.Number(), Type.Null()], {
                  description: 'alarms dismissed as false / alarms raised for this series; null until one was raised',
                }),
                sensitivity: Type.Object(
                  {
                    threshold: Type.Number({ description: 'score an incident must reach to raise an alarm; each dismissal raises it' }),
                    dismissals: Type.Integer({ description: 'dismissed alarms that lowered this model\'s sensitivity' }),
                  },
                  { description: 'the alarm threshold in force, tightened by dismissed false alarms' },
                ),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const deviceId = (request.query as { deviceId?: string }).deviceId;
      const feedback = new Map((await d.alarmStore.alarmFeedback(tenantId, 'anomaly')).map((f) => [`${f.deviceId}\u0000${f.key}`, f]));
      const items = (await d.detection.models(tenantId, deviceId)).map(({ record: m, learning, pointsNeeded, sensitivity }) => {
        const f = feedback.get(`${m.deviceId}\u0000${m.key}`);
        const judged = (f?.acknowledged ?? 0) + (f?.dismissed ?? 0);
        return {
          deviceId: m.deviceId,
          key: m.key,
          kind: m.kind,
          version: m.version,
          trainedFrom: m.trainedFrom,
          trainedTo: m.trainedTo,
          points: m.points,
          learning,
          pointsNeeded,
          alarms: { open: f?.open ?? 0, acknowledged: f?.acknowledged ?? 0, dismissed: f?.dismissed ?? 0 },
          precision: judged ? (f!.acknowledged / judged) : null,
          falseAlarmRate: f?.raised ? f.dismissed / f.raised : null,
          sensitivity,
        };
      });
      return { items };
    },
  );

  app.post(
    '/api/v1/models/retrain',
    {
      preHandler: writer,
      schema: {
        tags: ['analytics'],
        summary: 'Retrain a series\' anomaly model from its stored history (new version)',
        security: bearerSecurity,
        body: Type.Object({ deviceId: Type.String(), key: Type.String() }),
        response: {
          200: Type.Object({ deviceId: Type.String(), key: Type.String(), kind: Type.String(), version: Type.Integer(), points: Type.Integer() }),
          404: problemSchema,
        },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const { deviceId, key } = request.body as { deviceId: string; key: string };
      if (!(await d.metadata.getDevice(tenantId, deviceId))) throw Errors.notFound(`device ${deviceId} not found`);
      const m = await d.detection.retrain(tenantId, deviceId, key);
      return { deviceId, key, kind: m.kind, version: m.version, points: m.points };
    },
  );

  const DetectorPolicySchema = Type.Object({
    deviceType: Type.String(),
    keys: Type.Array(Type.String()),
    fitPoints: Type.Integer(),
    updatedAt: Type.Integer(),
  });

  app.get(
    '/api/v1/analytics/detectors',
    {
      preHandler: anyUser,
      schema: {
        tags: ['analytics'],
        summary: 'Multivariate anomaly models per device type',
        security: bearerSecurity,
        response: { 200: Type.Object({ items: Type.Array(DetectorPolicySchema) }) },
      },
    },
    async (request) => ({ items: await d.detection.listPolicies(principalOf(request).tenantId) }),
  );

  app.put(
    '/api/v1/analytics/detectors/:type',
    {
      preHandler: writer,
      schema: {
        tags: ['analytics'],
        summary: 'Run a multivariate anomaly model across these keys on every device of the type',
        description:
          'Each device of the type gets one model over the keys, trained on its first fitPoints samples (normal operation), in addition to the per-key detectors.',
        security: bearerSecurity,
        params: Type.Object({ type: Type.String() }),
        body: Type.Object({
          keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 2, maxItems: 64, uniqueItems: true }),
          fitPoints: Type.Integer({ minimum: 50, maximum: 100_000, default: 400 }),
        }),
        response: { 200: DetectorPolicySchema, 400: problemSchema },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const body = request.body as { keys: string[]; fitPoints: number };
      const policy = { tenantId, deviceType: (request.params as { type: string }).type, ...body, updatedAt: Date.now() };
      await d.detection.setPolicy(policy);
      return policy;
    },
  );

  app.delete(
    '/api/v1/analytics/detectors/:type',
    {
      preHandler: writer,
      schema: {
        tags: ['analytics'],
        summary: 'Stop the multivariate model of a device type',
        security: bearerSecurity,
        params: Type.Object({ type: Type.String() }),
        response: { 204: Type.Null(), 404: problemSchema },
      },
    },
    async (request, reply) => {
      const type = (request.params as { type: string }).type;
      if (!(await d.detection.deletePolicy(principalOf(request).tenantId, type))) {
        throw Errors.notFound(`no multivariate model for device type ${type}`);
      }
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/maintenance/policies',
    {
      preHandler: anyUser,
      schema: {
        tags: ['maintenance'],
        summary: 'Predictive-maintenance policies per device type',
        security: bearerSecurity,
        response: { 200: Type.Object({ items: Type.Array(PolicySchema) }) },
      },
    },
    async (request) => ({ items: await d.maintenance.listPolicies(principalOf(request).tenantId) }),
  );

  app.put(
    '/api/v1/maintenance/policies/:type',
    {
      preHandler: writer,
      schema: {
        tags: ['maintenance'],
        summary: 'Set the degrading key and failure threshold for a device type',
        security: bearerSecurity,
        params: Type.Object({ type: Type.String() }),
        body: Type.Object({
          key: Type.String({ minLength: 1 }),
          threshold: Type.Number(),
          failWhen: Type.Optional(Type.Union([Type.Literal('above'), Type.Literal('below')])),
          horizonMs: Type.Optional(
            Type.Integer({ minimum: 60_000, maximum: MAX_DURATION_MS, description: 'alarm when failure is predicted sooner; default 24 h' }),
          ),
          windowMs: Type.Optional(Type.Integer({ minimum: 60_000, maximum: MAX_WINDOW_MS, description: 'trend window; default 7 days, at most 366 days' })),
        }),
        response: { 200: PolicySchema, 400: problemSchema },
      },
    },
    async (request) =>
      d.maintenance.setPolicy(principalOf(request).tenantId, (request.params as { type: string }).type, request.body as never),
  );

  app.delete(
    '/api/v1/maintenance/policies/:type',
    {
      preHandler: writer,
      schema: {
        tags: ['maintenance'],
        summary: 'Remove a device type\'s maintenance policy',
        security: bearerSecurity,
        params: Type.Object({ type: Type.String() }),
        response: { 204: Type.Null(), 404: problemSchema },
      },
    },
    async (request, reply) => {
      await d.maintenance.deletePolicy(principalOf(request).tenantId, (request.params as { type: string }).type);
      return reply.status(204).send();
    },
  );

  const RulModelSchema = Type.Object({
    deviceType: Type.String(),
    keys: Type.Array(Type.String()),
    stepMs: Type.Integer({ description: 'one RUL step: the typical sampling interval of the training histories' }),
    version: Type.Integer(),
    trainedAt: Type.Integer(),
    units: Type.Integer(),
    rows: Type.Integer(),
  });

  app.get(
    '/api/v1/maintenance/rul-models',
    {
      preHandler: anyUser,
      schema: {
        tags: ['maintenance'],
        summary: 'Learned remaining-useful-life models per device type',
        security: bearerSecurity,
        response: { 200: Type.Object({ items: Type.Array(RulModelSchema) }) },
      },
    },
    async (request) => ({ items: d.rul.list(principalOf(request).tenantId) }),
  );

  app.post(
    '/api/v1/maintenance/rul-models/:type/train',
    {
      preHandler: writer,
      schema: {
        tags: ['maintenance'],
        summary: 'Train (or retrain) the RUL model of a device type from devices that ran to failure',
        description:
          'Each failure names a device of the type and when it failed; its history of the keys up to then is one training unit. ' +
          'The model then estimates remaining useful life for every device of the type, and a predicted-failure alarm is raised when it drops below the horizon of the type\'s maintenance policy (24 h by default).',
        security: bearerSecurity,
        params: Type.Object({ type: Type.String() }),
        body: Type.Object({
          keys: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 64, uniqueItems: true }),
          failures: Type.Array(Type.Object({ deviceId: Type.String(), failedAt: Type.String({ description: 'epoch ms or ISO-8601' }) }), {
            minItems: 3,
            maxItems: 10_000,
          }),
        }),
        response: {
          200: Type.Intersect([RulModelSchema, Type.Object({ trainingMs: Type.Integer() })]),
          400: problemSchema,
          404: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const body = request.body as { keys: string[]; failures: { deviceId: string; failedAt: string }[] };
      const failures = body.failures.map((f) => ({ deviceId: f.deviceId, failedAt: parseTime(String(f.failedAt), 'failedAt', Date.now()) }));
      return d.rul.train(tenantId, (request.params as { type: string }).type, { keys: body.keys, failures });
    },
  );

  app.delete(
    '/api/v1/maintenance/rul-models/:type',
    {
      preHandler: writer,
      schema: {
        tags: ['maintenance'],
        summary: 'Remove the RUL model of a device type',
        security: bearerSecurity,
        params: Type.Object({ type: Type.String() }),
        response: { 204: Type.Null(), 404: problemSchema },
      },
    },
    async (request, reply) => {
      await d.rul.remove(principalOf(request).tenantId, (request.params as { type: string }).type);
      return reply.status(204).send();
    },
  );

  app.get(
    '/api/v1/devices/:id/health',
    {
      preHandler: anyUser,
      schema: {
        tags: ['maintenance'],
        summary: 'Health indicator and time to the failure threshold of the device type\'s policy',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String() }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            deviceType: Type.String(),
            method: Type.Union([Type.Literal('rul'), Type.Literal('time-to-threshold')]),
            key: Type.String(),
            health: Type.Number(),
            predictedFailure: Type.Boolean(),
            estimate: Type.Unknown(),
          }),
          404: problemSchema,
          422: problemSchema,
        },
      },
    },
    async (request) => d.maintenance.health(principalOf(request).tenantId, (request.params as { id: string }).id),
  );
}
