// The HTTP server: Fastify with OpenAPI generated from the route schemas, rate limits on by
// default, one error shape, request metrics.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { TokenService } from '../../domains/auth/tokens.js';
import { bearerToken } from './auth.js';
import { errorHandler, problemFor } from './problem.js';
import { rejectInvalidInput } from './input-checks.js';
import { isValidUtf8 } from '../../util/unicode.js';
import { Errors } from '../../errors.js';
import { registerWebConsole } from './web-console.js';

export interface HttpServerOptions {
  log: Logger;
  metrics: Metrics;
  tokens: TokenService;
  bodyLimitBytes: number;
  apiRateLimitPerMin: number;
  version: string;
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
    // Errors raised before routing (a path that is not percent-encoded UTF-8) get the same problem shape.
    frameworkErrors: (error, _request, rawReply) => {
      const reply = rawReply as unknown as FastifyReply;
      if (error.code === 'FST_ERR_BAD_URL') {
        return reply.status(400).send({ error: 'BAD_URL', message: `the URL path is not valid percent-encoded UTF-8: ${error.message}` });
      }
      const { status, body } = problemFor(error);
      return reply.status(status).send(body);
    },
  });
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

  await app.register(swagger, {
    openapi: {
      info: { title: 'Vigil API', version: o.version, description: 'Vigil IoT monitoring platform' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });

  await app.register(rateLimit, {
    max: o.apiRateLimitPerMin,
    timeWindow: '1 minute',
    // Per person when authenticated, per address otherwise.
    keyGenerator: (request) => bearerToken(request) ?? request.ip,
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      error: 'RATE_LIMITED',
      message: `rate limit of ${context.max} requests per ${context.after} exceeded`,
    }),
  });

  app.addHook('onResponse', async (request, reply) => {
    o.metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/api/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());
  return app;
}
