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
      // In parallel, and a check that may only degrade the node is bounded: a balancer's health
      // check gives up after a second or two, and a ping hanging on a restarting PostgreSQL (the
      // pool waiting to connect) must not make every node look dead.
      const outcomes = await Promise.all(checks.map((c) => runCheck(c, c.degradedOnly ? READINESS_CHECK_TIMEOUT_MS : null)));
      for (const [i, c] of checks.entries()) {
        const outcome = outcomes[i]!;
        if (outcome.ok) {
          results[c.name] = outcome.note || 'ok';
        } else {
          results[c.name] = outcome.reason;
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

/** How long /ready waits for a check that may only degrade the node before it reports it failed. */
export const READINESS_CHECK_TIMEOUT_MS = 1_000;

async function runCheck(c: ReadinessCheck, timeoutMs: number | null): Promise<{ ok: true; note: string | void } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout =
    timeoutMs === null
      ? null
      : new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        });
  try {
    return { ok: true, note: await (timeout ? Promise.race([c.check(), timeout]) : c.check()) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}
