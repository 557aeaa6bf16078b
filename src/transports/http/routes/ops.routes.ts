import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../../observability/metrics.js';

export interface ReadinessCheck {
  name: string;
  /** Throws when not ready (its message is the reason); may resolve with a note shown instead of "ok". */
  check: () => Promise<void | string>;
  /**
   * A failure is reported ("degraded") but leaves the node ready. For a service every node shares
   * whose outage the node rides out (PostgreSQL behind the ingest log): taking every node out of
   * the balancer at once would only cut every device, which could not log in again until it returns.
   */
  degradedOnly?: boolean;
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
      let degraded = false;
      for (const c of checks) {
        try {
          results[c.name] = (await c.check()) || 'ok';
        } catch (err) {
          results[c.name] = (err as Error).message;
          if (c.degradedOnly) degraded = true;
          else ready = false;
        }
      }
      if (isShuttingDown()) results.shutdown = 'in progress';
      const status = !ready ? 'not ready' : degraded ? 'degraded' : 'ready';
      return reply.status(ready ? 200 : 503).send({ status, checks: results });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' }, config: { rateLimit: false } },
    async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
}
