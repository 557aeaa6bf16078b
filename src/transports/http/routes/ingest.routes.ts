// Device-facing HTTP ingest. ThingsBoard-compatible `POST /api/v1/{token}/telemetry`, and
// `POST /api/v1/telemetry` with the device token as Bearer or X-API-Key. Bodies are taken raw
// so a malformed one can be kept, byte for byte, in the dead-letter log.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DeviceService } from '../../../domains/devices/devices.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { PayloadError } from '../../../domains/telemetry/payload.js';
import type { KeyUnits } from '../../../domains/telemetry/key-units.js';
import { acceptSenml, SENML_CBOR_TYPE, SENML_JSON_TYPE } from '../../../domains/telemetry/formats/accept-formats.js';
import { AppError } from '../../../errors.js';
import { bearerToken } from '../auth.js';
import { problemSchema } from '../problem.js';
import { deviceFromRequest } from '../device-auth.js';

const STATUS_FOR_REASON: Record<string, number> = {
  invalid_json: 400,
  invalid_utf8: 400,
  too_many_points: 413,
  too_many_keys: 422,
  too_many_series: 422,
  invalid_shape: 422,
  invalid_value: 422,
  invalid_timestamp: 422,
  schema_violation: 422,
  future_timestamp: 422,
  empty: 422,
  too_large: 413,
  unauthorized: 401,
  rate_limited: 429,
  quota_exceeded: 403,
};

const accepted = Type.Object({ accepted: Type.Integer({ description: 'points durably accepted' }) });
const payloadDoc =
  'One of {"key":value,...}, {"ts":epochMs,"values":{...}} or an array of either. Values: number, boolean or string. ' +
  'The body must be valid UTF-8 without lone surrogates (400 INVALID_UTF8). Limits (see docs/operations.md): ' +
  'at most maxPointsPerMessage points per request (413 TOO_MANY_POINTS); a request that would give its device more than ' +
  'maxKeysPerDevice distinct keys (422 TOO_MANY_KEYS) or its tenant more than maxSeriesPerTenant series (422 TOO_MANY_SERIES) ' +
  'is rejected whole. Every rejection is kept in the dead-letter log with its reason. ' +
  'With Content-Type: application/senml+json or application/senml+cbor, a SenML (RFC 8428) pack: names, times, values and sums resolved from the base fields, units kept per key.';

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function ingestRoutes(
  app: FastifyInstance,
  devices: DeviceService,
  ingest: IngestService,
  bodyLimitBytes: number,
  units: KeyUnits,
): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: bodyLimitBytes }, (_req, body, done) => done(null, body));

    async function handle(request: FastifyRequest, token: string | null) {
      const body = request.body as Buffer | undefined;
      const device = await deviceFromRequest(devices, request, token);
      if (!device) {
        ingest.recordRejection(null, 'http', 'unauthorized', 'unknown or revoked device token', body);
        throw new AppError('UNAUTHORIZED', 401, 'unknown or revoked device token');
      }
      // ThingsBoard's HTTP client checks its connection by posting {}: an empty report, not an error.
      if (body && body.length <= 64 && /^\s*\{\s*\}\s*$/.test(body.toString('latin1'))) return { accepted: 0 };
      try {
        const identity = { tenantId: device.tenantId, deviceId: device.id };
        const payload = body ?? Buffer.alloc(0);
        const type = mediaType(request);
        const count =
          type === SENML_JSON_TYPE || type === SENML_CBOR_TYPE
            ? await acceptSenml(ingest, units, identity, 'http', payload, type === SENML_CBOR_TYPE ? 'cbor' : 'json')
            : await ingest.acceptRaw(identity, 'http', payload);
        return { accepted: count };
      } catch (err) {
        if (err instanceof PayloadError) {
          throw new AppError(err.reason.toUpperCase(), STATUS_FOR_REASON[err.reason] ?? 400, err.message, err.details);
        }
        throw err;
      }
    }

    scope.post(
      '/api/v1/:token/telemetry',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Send telemetry (ThingsBoard-compatible: token in the path)',
          description: payloadDoc,
          params: Type.Object({ token: Type.String() }),
          response: { 200: accepted, 400: problemSchema, 401: problemSchema, 413: problemSchema, 422: problemSchema, 429: problemSchema, 503: problemSchema },
        },
      },
      async (request) => handle(request, (request.params as { token: string }).token),
    );

    scope.post(
      '/api/v1/telemetry',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Send telemetry with the device token in Authorization: Bearer or X-API-Key',
          description: payloadDoc,
          response: { 200: accepted, 400: problemSchema, 401: problemSchema, 413: problemSchema, 422: problemSchema, 429: problemSchema, 503: problemSchema },
        },
      },
      async (request) => {
        const apiKey = request.headers['x-api-key'];
        return handle(request, bearerToken(request) ?? (typeof apiKey === 'string' ? apiKey : null));
      },
    );
  });
}
