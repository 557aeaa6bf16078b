import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../../observability/metrics.js';

export interface ReadinessCheck {
  name: string;
  /** Throws when not ready (its message is the reason); may resolve with a note shown instead of "ok". */
  check: () => Promise<void | string>;
}

export function opsRoutes(app: FastifyInstance, metrics: Metrics, checks: ReadinessCheck[], isShuttingDown: () => boolean): void {
  app.get('/health', { schema: { tags: ['operations'], summary: 'Liveness' }, config: { rateLimit: false } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/ready',
    { schema: { tags: ['operations'], summary: 'Readiness: storage and broker answer' }, config: { rateLimit: false } },
    async (_request, reply) => {
      const results: Record<string, string> = {};
      let ready = !isShuttingDown();
      for (const c of checks) {
        try {
          results[c.name] = (await c.check()) || 'ok';
        } catch (err) {
          results[c.name] = (err as Error).message;
          ready = false;
        }
      }
      if (isShuttingDown()) results.shutdown = 'in progress';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' }, config: { rateLimit: false } },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
