// /api/v1/rules: CRUD, enable/disable, version history and backtest. Bodies take either rule
// form (Vigil's own or the plain console JSON); the domain parser answers 422 naming each bad field.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RuleService } from '../../../domains/rules/rules.service.js';
import { backtest, type StoredVerdicts } from '../../../domains/rules/backtest.js';
import type { MetadataStore } from '../../../ports/metadata-store.js';
import type { TelemetryStore } from '../../../ports/telemetry-store.js';
import { Errors } from '../../../errors.js';
import { MAX_TIME_MS } from '../../../util/duration.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';

export const RuleSchema = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  version: Type.Integer(),
  name: Type.String(),
  target: Type.Object({
    deviceId: Type.Union([Type.String(), Type.Null()]),
    deviceType: Type.Union([Type.String(), Type.Null()]),
    labels: Type.Optional(Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()], { description: 'devices carrying every one of these labels' })),
  }),
  condition: Type.Unknown({ description: 'threshold | inactivity | statistical | comparison | schedule | anomaly | predicted_failure; see docs/rules.md' }),
  severity: Type.String(),
  message: Type.String(),
  cooldownMs: Type.Integer(),
  actions: Type.Array(Type.Unknown()),
  incident: Type.Optional(
    Type.Union([Type.Object({ label: Type.String(), windowMs: Type.Integer() }), Type.Null()], { description: 'group alarms into incidents by this device label' }),
  ),
  enabled: Type.Boolean(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

const RuleBody = Type.Object(
  {},
  {
    additionalProperties: true,
    description:
      'Vigil form {name, target?, condition:{type,...}, severity?, message?, cooldownMs?, actions?, incident?, enabled?} or the plain form ' +
      '{type, condition:{key, operator, value, duration_seconds}, action:{type:"alert", severity, message}}. See docs/rules.md.',
  },
);
const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 422: problemSchema };
const time = Type.Integer({ minimum: 0, maximum: MAX_TIME_MS, description: 'epoch ms' });

export interface RuleRouteDeps {
  rules: RuleService;
  telemetry: TelemetryStore;
  metadata: MetadataStore;
  /** The models' stored verdicts (their anomaly alarms), for backtesting anomaly rules. */
  verdicts?: StoredVerdicts;
}

export function rulesRoutes(app: FastifyInstance, d: RuleRouteDeps): void {
  const anyUser = requireUser();
  const writer = requireUser();
  const tenantOf = (request: Parameters<typeof principalOf>[0]) => principalOf(request).tenantId;
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  app.post(
    '/api/v1/rules',
    { preHandler: writer, schema: { tags: ['rules'], summary: 'Create a rule', security: bearerSecurity, body: RuleBody, response: { 201: RuleSchema, ...errors } } },
    async (request, reply) => reply.status(201).send(await d.rules.create(tenantOf(request), request.body)),
  );

  app.get(
    '/api/v1/rules',
    {
      preHandler: anyUser,
      schema: { tags: ['rules'], summary: 'Rules of the tenant (current versions)', security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(RuleSchema) }) } },
    },
    async (request) => ({ items: await d.rules.list(tenantOf(request)) }),
  );

  app.get(
    '/api/v1/rules/:id',
    { preHandler: anyUser, schema: { tags: ['rules'], summary: 'One rule (current version)', security: bearerSecurity, params: IdParams, response: { 200: RuleSchema, ...errors } } },
    async (request) => d.rules.get(tenantOf(request), idOf(request)),
  );

  app.get(
    '/api/v1/rules/:id/versions',
    {
      preHandler: anyUser,
      schema: { tags: ['rules'], summary: 'Every version of a rule, newest first', security: bearerSecurity, params: IdParams, response: { 200: Type.Object({ items: Type.Array(RuleSchema) }), ...errors } },
    },
    async (request) => ({ items: await d.rules.history(tenantOf(request), idOf(request)) }),
  );

  app.put(
    '/api/v1/rules/:id',
    {
      preHandler: writer,
      schema: { tags: ['rules'], summary: 'Replace a rule: saves a new version, keeps the old one in the history; its state starts over', security: bearerSecurity, params: IdParams, body: RuleBody, response: { 200: RuleSchema, ...errors } },
    },
    async (request) => d.rules.update(tenantOf(request), idOf(request), request.body),
  );

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    app.post(
      `/api/v1/rules/:id/${action}`,
      { preHandler: writer, schema: { tags: ['rules'], summary: `${action === 'enable' ? 'Enable' : 'Disable'} a rule (a new version)`, security: bearerSecurity, params: IdParams, response: { 200: RuleSchema, ...errors } } },
      async (request) => d.rules.setEnabled(tenantOf(request), idOf(request), enabled),
    );
  }

  app.delete(
    '/api/v1/rules/:id',
    { preHandler: writer, schema: { tags: ['rules'], summary: 'Delete a rule, its history and its state (its alarms stay)', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await d.rules.delete(tenantOf(request), idOf(request));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/rules/test',
    {
      preHandler: anyUser,
      schema: {
        tags: ['rules'],
        summary: 'Backtest: replay stored history through a saved (ruleId) or unsaved (rule) rule; no side effects',
        security: bearerSecurity,
        body: Type.Object({
          ruleId: Type.Optional(Type.String()),
          rule: Type.Optional(RuleBody),
          from: time,
          to: time,
          deviceIds: Type.Optional(Type.Array(Type.String(), { maxItems: 100 })),
        }),
        response: {
          200: Type.Object({
            events: Type.Array(
              Type.Object({
                deviceId: Type.String(),
                kind: Type.Union([Type.Literal('fire'), Type.Literal('clear')]),
                at: Type.Integer(),
                value: Type.Union([Type.Number(), Type.Null()]),
              }),
            ),
            devices: Type.Integer(),
            points: Type.Integer(),
            truncated: Type.Boolean(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      const body = request.body as { ruleId?: string; rule?: unknown; from: number; to: number; deviceIds?: string[] };
      if ((body.ruleId === undefined) === (body.rule === undefined)) {
        throw Errors.badRequest('give either ruleId (a saved rule) or rule (an unsaved one)');
      }
      const spec = body.ruleId !== undefined ? await d.rules.get(tenantId, body.ruleId) : await d.rules.validate(tenantId, body.rule);
      return backtest(spec, tenantId, { fromMs: body.from, toMs: body.to, ...(body.deviceIds ? { deviceIds: body.deviceIds } : {}) }, d.telemetry, d.metadata, d.verdicts);
    },
  );
}
