import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { InsightsService } from '../../../domains/analytics/insights.service.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';

const IdParams = Type.Object({ id: Type.String() });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const Resolution = Type.Union([Type.Literal('raw'), Type.Integer()], {
  description: "'raw' when stored points were analysed as-is, else the averaging window in ms (windows over 20,000 points)",
});
const problems = { 400: problemSchema, 401: problemSchema, 404: problemSchema, 422: problemSchema };

export function insightsRoutes(app: FastifyInstance, insights: InsightsService): void {
  const anyUser = requireUser();

  app.get(
    '/api/v1/devices/:id/forecast',
    {
      preHandler: anyUser,
      schema: {
        tags: ['analytics'],
        summary: 'Forecast a numeric key with 80% and 95% prediction intervals',
        description:
          'Fits exponential smoothing (SES, damped Holt or additive Holt-Winters with a detected seasonal period) on the ' +
          'history window ending at the newest point of the key, and forecasts `horizon` ahead. The step (`stepMs`) is the ' +
          "data's own (median spacing, or the averaging window) unless the horizon would span more than 10,000 of them; then " +
          'the smallest round step that fits (10s, 1m, 5m, 1h, ...), or the `step` given (`stepSource` says which).',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({
          key: Type.String({ minLength: 1, description: 'numeric telemetry key' }),
          horizon: Type.Optional(Type.String({ description: 'how far ahead: 1h, 1d, 1w or ms; default 1d, at most 366d' })),
          history: Type.Optional(Type.String({ description: 'past window fitted, ending at the newest point: 7d (default), 30d, ms; at most 366d' })),
          step: Type.Optional(
            Type.String({ description: 'forecast step: 1m, 10m, 1h or ms; default: the data step, coarsened to keep the horizon within 10,000 steps' }),
          ),
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            key: Type.String(),
            history: Type.Object({ from: Type.Integer(), to: Type.Integer(), points: Type.Integer(), resolution: Resolution }),
            model: Type.Object({
              kind: Type.String({ description: 'ses, holt, holt-winters or naive' }),
              periodSteps: Type.Union([Type.Integer(), Type.Null()]),
              periodMs: Type.Union([Type.Number(), Type.Null()]),
              params: Type.Union([
                Type.Object({ alpha: Type.Number(), beta: Type.Number(), gamma: Type.Number(), phi: Type.Number() }),
                Type.Null(),
              ]),
              residualSigma: NullableNumber,
            }),
            stepMs: Type.Number(),
            stepSource: Type.Union([Type.Literal('data'), Type.Literal('horizon'), Type.Literal('request')], {
              description: "data: the series' own step; horizon: coarsened so the horizon fits 10,000 steps; request: the step parameter",
            }),
            points: Type.Array(
              Type.Object({
                ts: Type.Number(),
                value: NullableNumber,
                lower80: NullableNumber,
                upper80: NullableNumber,
                lower95: NullableNumber,
                upper95: NullableNumber,
              }),
            ),
          }),
          ...problems,
        },
      },
    },
    async (request) =>
      insights.forecast(principalOf(request).tenantId, (request.params as { id: string }).id, request.query as never),
  );

  app.get(
    '/api/v1/devices/:id/trends',
    {
      preHandler: anyUser,
      schema: {
        tags: ['analytics'],
        summary: 'Robust trend, direction test and change points of numeric keys',
        description:
          'Per key: Theil–Sen slope with confidence bounds, Mann–Kendall direction (rising/falling/flat) and change points ' +
          'in the mean. Keys without enough numeric points are listed in `skipped`.',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({
          keys: Type.Optional(Type.String({ description: 'comma-separated keys (at most 50); every key of the device (first 50) when absent' })),
          from: Type.Optional(Type.String({ description: 'epoch ms or ISO-8601, within ±8.64e15 ms; default to - 7d' })),
          to: Type.Optional(Type.String({ description: 'epoch ms or ISO-8601, within ±8.64e15 ms; default now' })),
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            from: Type.Integer(),
            to: Type.Integer(),
            trends: Type.Record(
              Type.String(),
              Type.Object({
                n: Type.Integer(),
                direction: Type.String({ description: 'rising, falling or flat' }),
                slopePerHour: NullableNumber,
                slopePerDay: NullableNumber,
                slopeLowerPerHour: NullableNumber,
                slopeUpperPerHour: NullableNumber,
                pValue: NullableNumber,
                kendallTau: NullableNumber,
                resolution: Resolution,
                changePoints: Type.Array(
                  Type.Object({
                    ts: Type.Number({ description: 'first sample of the new regime' }),
                    before: NullableNumber,
                    after: NullableNumber,
                  }),
                ),
              }),
            ),
            skipped: Type.Array(Type.Object({ key: Type.String(), reason: Type.String() })),
          }),
          ...problems,
        },
      },
    },
    async (request) =>
      insights.trends(principalOf(request).tenantId, (request.params as { id: string }).id, request.query as never),
  );

  app.get(
    '/api/v1/devices/:id/time-to-threshold',
    {
      preHandler: anyUser,
      schema: {
        tags: ['analytics'],
        summary: 'When will a degrading key reach a threshold?',
        description:
          'Fits a straight line to the window ending at the newest point and extrapolates it to the threshold, with an ' +
          'earliest/latest bracket from the line’s confidence band. Durations count from `asOf` (the newest sample).',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({
          key: Type.String({ minLength: 1, description: 'numeric telemetry key' }),
          threshold: Type.Number({ description: 'failure level of the key (a finite number)' }),
          window: Type.Optional(Type.String({ description: 'past window fitted: 7d (default), 1d, ms; at most 366d' })),
          failWhen: Type.Optional(
            Type.Union([Type.Literal('above'), Type.Literal('below')], { description: 'failure side; default: where the trend heads' }),
          ),
        }),
        response: {
          200: Type.Object({
            deviceId: Type.String(),
            key: Type.String(),
            threshold: Type.Number(),
            failWhen: Type.String(),
            windowMs: Type.Number(),
            asOf: Type.Number(),
            resolution: Resolution,
            status: Type.String({ description: 'approaching, crossed, not-approaching or insufficient-data' }),
            timeToThresholdMs: NullableNumber,
            earliestMs: NullableNumber,
            latestMs: NullableNumber,
            expectedAt: NullableNumber,
            earliestAt: NullableNumber,
            latestAt: NullableNumber,
            slopePerHour: NullableNumber,
            slopeStdErrPerHour: NullableNumber,
            currentValue: NullableNumber,
            samplesUsed: Type.Integer(),
          }),
          ...problems,
        },
      },
    },
    async (request) =>
      insights.timeToThreshold(principalOf(request).tenantId, (request.params as { id: string }).id, request.query as never),
  );
}
