// InfluxDB v2-compatible write endpoint, so Telegraf's outputs.influxdb_v2 and the Influx client
// libraries write into Vigil unchanged: `POST /api/v2/write?org=&bucket=&precision=` with
// `Authorization: Token <device token>`, line protocol body, optionally gzip-compressed.
// Answers follow Influx: 204 once every point is durable; 400 {"code":"invalid"} naming bad
// lines, after the good lines of the batch are durably stored (Influx's partial-write answer).
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DeviceService } from '../../../domains/devices/devices.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { PayloadError } from '../../../domains/telemetry/payload.js';
import { isPrecision, type LineError } from '../../../domains/telemetry/formats/line-protocol.js';
import { lineProtocolToPoints } from '../../../domains/telemetry/formats/line-protocol-keys.js';
import { AppError } from '../../../errors.js';

const gunzipAsync = promisify(gunzip);
/** Bad lines named in one answer; Influx Cloud also caps its list (at 100). */
const MAX_LINES_REPORTED = 20;

const influxError = Type.Object({
  code: Type.String({ description: 'Influx error code: invalid, unauthorized, request too large, too many requests, unavailable' }),
  message: Type.String(),
  line: Type.Optional(Type.Integer({ description: 'first rejected line (1-based)' })),
});

/** Influx error codes (the `code` field its clients read) for Vigil's reasons. */
const INFLUX_ERROR: Record<string, { status: number; code: string }> = {
  unauthorized: { status: 401, code: 'unauthorized' },
  too_large: { status: 413, code: 'request too large' },
  rate_limited: { status: 429, code: 'too many requests' },
  quota_exceeded: { status: 403, code: 'forbidden' },
};

class InfluxAnswer extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

function deviceToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  // Influx v2 uses "Token"; some clients and proxies send "Bearer".
  const match = /^(?:Token|Bearer)\s+(.+)$/i.exec(header);
  return match ? match[1]!.trim() : null;
}

async function decodeBody(request: FastifyRequest, body: Buffer, limitBytes: number): Promise<string> {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').toLowerCase();
  let bytes = body;
  if (encoding === 'gzip') {
    try {
      // The cap applies to the decompressed size too, so a small gzip bomb cannot fill memory.
      bytes = await gunzipAsync(body, { maxOutputLength: limitBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new InfluxAnswer(413, 'request too large', `decompressed body exceeds ${limitBytes} bytes`);
      }
      throw new InfluxAnswer(400, 'invalid', `body is not valid gzip: ${(err as Error).message}`);
    }
  } else if (encoding !== 'identity') {
    throw new InfluxAnswer(415, 'unsupported media type', `Content-Encoding ${encoding} is not supported (use gzip or none)`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InfluxAnswer(400, 'invalid', 'line protocol must be UTF-8');
  }
}

function describe(errors: LineError[]): string {
  const shown = errors.slice(0, MAX_LINES_REPORTED).map((e) => `line ${e.line}: ${e.message}${e.text ? ` (${JSON.stringify(e.text)})` : ''}`);
  const more = errors.length > MAX_LINES_REPORTED ? `; and ${errors.length - MAX_LINES_REPORTED} more` : '';
  return shown.join('; ') + more;
}

export function influxWriteRoutes(app: FastifyInstance, devices: DeviceService, ingest: IngestService, bodyLimitBytes: number): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: bodyLimitBytes }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: unknown, _request: FastifyRequest, reply: FastifyReply) => {
      if (err instanceof InfluxAnswer) {
        if (err.status === 429) void reply.header('retry-after', '1');
        return reply.status(err.status).send({ code: err.code, message: err.message, ...(err.line ? { line: err.line } : {}) });
      }
      if (err instanceof AppError && err.statusCode === 503) {
        return reply.status(503).header('retry-after', '1').send({ code: 'unavailable', message: err.message });
      }
      const e = err as { code?: string; message?: string };
      if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.status(413).send({ code: 'request too large', message: e.message });
      if ((err as { validation?: unknown }).validation) return reply.status(400).send({ code: 'invalid', message: e.message });
      reply.log.error({ err }, 'influx write failed');
      return reply.status(500).send({ code: 'internal error', message: 'internal error' });
    });

    scope.post(
      '/api/v2/write',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Write InfluxDB line protocol (InfluxDB v2-compatible; for Telegraf and Influx clients)',
          description:
            'Authorization: Token <device token>. Body: line protocol, optionally Content-Encoding: gzip. ' +
            'Each field becomes the key `measurement.field`, followed by `{tag=value,...}` (sorted) when the line has tags. ' +
            'org and bucket are accepted and ignored. 400 with the bad line numbers after the good lines are stored.',
          querystring: Type.Object({
            org: Type.Optional(Type.String()),
            orgID: Type.Optional(Type.String()),
            bucket: Type.Optional(Type.String()),
            precision: Type.Optional(Type.String({ description: 'ns (default), us, ms or s' })),
          }),
          response: { 204: Type.Null(), 400: influxError, 401: influxError, 413: influxError, 415: influxError, 429: influxError, 503: influxError },
        },
      },
      async (request, reply) => {
        const raw = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
        const device = await devices.authenticate(deviceToken(request));
        if (!device) {
          ingest.recordRejection(null, 'http', 'unauthorized', 'influx write: unknown or revoked device token', raw);
          throw new InfluxAnswer(401, 'unauthorized', 'unknown or revoked device token (send Authorization: Token <device token>)');
        }
        const identity = { tenantId: device.tenantId, deviceId: device.id };
        const precision = (request.query as { precision?: string }).precision ?? 'ns';
        if (!isPrecision(precision)) throw new InfluxAnswer(400, 'invalid', `precision must be ns, us, ms or s; got "${precision}"`);
        let text: string;
        try {
          text = await decodeBody(request, raw, bodyLimitBytes);
        } catch (err) {
          if (err instanceof InfluxAnswer) ingest.recordRejection(identity, 'http', err.status === 413 ? 'too_large' : 'invalid_shape', err.message, raw);
          throw err;
        }

        let lineErrors: LineError[] = [];
        let written = 0;
        try {
          written = await ingest.acceptParsed(
            identity,
            'http',
            (limits) => {
              const { points, errors } = lineProtocolToPoints(text, precision, limits);
              lineErrors = errors;
              if (points.length === 0) {
                const message = errors.length ? describe(errors) : 'writing requires points';
                throw new PayloadError(errors.length ? 'invalid_shape' : 'empty', message);
              }
              return points;
            },
            text,
          );
        } catch (err) {
          if (err instanceof PayloadError) {
            const mapped = INFLUX_ERROR[err.reason] ?? { status: 400, code: 'invalid' };
            throw new InfluxAnswer(mapped.status, mapped.code, err.message, lineErrors[0]?.line);
          }
          throw err;
        }
        if (lineErrors.length > 0) {
          // The good lines are durable; the body (decompressed, so it is readable) goes to the
          // dead-letter log with the bad line numbers in the message.
          const message = `partial write: ${lineErrors.length} line(s) rejected, ${written} point(s) written; ${describe(lineErrors)}`;
          ingest.recordRejection(identity, 'http', 'invalid_shape', message, text);
          throw new InfluxAnswer(400, 'invalid', message, lineErrors[0]!.line);
        }
        return reply.status(204).send();
      },
    );
  });
}
