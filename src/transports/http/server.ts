// The HTTP server: Fastify with OpenAPI generated from the route schemas, rate limits on by
// default, one error shape, request metrics.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import helmet from '@fastify/helmet';
import cors from '@fastify/cors';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { installAccessControl, type AccessDeps } from './access.js';
import { errorHandler, problemFor } from './problem.js';
import { readTls, type TlsFiles } from './tls.js';
import { rejectInvalidInput } from './input-checks.js';
import { isValidUtf8 } from '../../util/unicode.js';
import { Errors } from '../../errors.js';
import { registerWebConsole } from './web-console.js';

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  access: AccessDeps;
  bodyLimitBytes: number;
  apiRateLimitPerMin: number;
  version: string;
  /** HTTPS when set. */
  tls?: TlsFiles;
  /** HTTPS asks for (never requires) a client certificate: devices' mutual TLS (device-auth.ts). */
  requestClientCertificates?: boolean;
  /** Origins allowed cross-origin; empty: no CORS headers (browsers then refuse other origins). */
  corsOrigins: readonly string[];
  /** Built web console to serve at `/`; web/dist of the repository by default. */
  webRoot?: string;
}

export async function createHttpServer(o: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.log.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    // Per-request logs would dominate at ingest rates; request metrics cover them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: o.bodyLimitBytes,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, useDefaults: true } },
    ...(o.tls ? { https: { ...readTls(o.tls), ...(o.requestClientCertificates ? { requestCert: true, rejectUnauthorized: false } : {}) } } : {}),
    // Errors raised before routing (a path that is not percent-encoded UTF-8) get the same problem shape.
    frameworkErrors: (error, _request, rawReply) => {
      const reply = rawReply as unknown as FastifyReply;
      if (error.code === 'FST_ERR_BAD_URL') {
        return reply.status(400).send({ error: 'BAD_URL', message: `the URL path is not valid percent-encoded UTF-8: ${error.message}` });
      }
      const { status, body } = problemFor(error);
      return reply.status(status).send(body);
    },
  }) as unknown as FastifyInstance;
  app.setErrorHandler(errorHandler(o.log));
  app.addHook('preHandler', rejectInvalidInput);
  // JSON bodies of the management API: bytes that are not UTF-8 are refused rather than decoded to
  // U+FFFD; parsing is Fastify's own (prototype-poisoning checks included).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isValidUtf8(bytes)) return done(Errors.badRequest('body is not valid UTF-8', { body: 'invalid UTF-8' }), undefined);
    parseJson(request, bytes.toString('utf8'), done);
  });
  // Unknown paths: the console's index.html for page URLs, a JSON 404 for server paths.
  await registerWebConsole(app, o.webRoot);

  await app.register(rateLimit, {
    max: o.apiRateLimitPerMin,
    timeWindow: '1 minute',
    // Per client address (the socket's, not a forwarded header). Never per bearer token: a client
    // picks its header, so keying on it let any made-up token open a fresh bucket.
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'RATE_LIMITED',
      message: `rate limit of ${context.max} requests per ${context.after} exceeded`,
    }),
  });
  installAccessControl(app, o.access); // after the limiter, before any route: a route without a permission entry fails here
  // Security headers (HSTS, nosniff, frame-ancestors, CSP, ...). Resources may be read
  // cross-origin only when CORS is opened to some origin.
  await app.register(helmet, { crossOriginResourcePolicy: { policy: o.corsOrigins.length ? 'cross-origin' : 'same-origin' } });
  await app.register(cors, { origin: o.corsOrigins.length ? [...o.corsOrigins] : false, credentials: false, exposedHeaders: ['retry-after'] });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Vigil API', version: o.version, description: 'Vigil IoT monitoring platform' },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'access token (JWT) or API key' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', staticCSP: true });

  app.addHook('onResponse', async (request, reply) => {
    o.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/api/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());
  return app;
}
