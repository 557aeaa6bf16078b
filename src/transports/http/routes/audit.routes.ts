// The audit log for admins: the own tenant's entries (the platform superadmin: every tenant's),
// filtered and paged, or exported whole as CSV or NDJSON.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { auditCsv, auditNdjson, type AuditService } from '../../../domains/audit/audit.service.js';
import type { AuditFilter } from '../../../ports/audit-log.js';
import { bearerSecurity, principalOf } from '../auth.js';
import { problemSchema } from '../problem.js';

const AuditEntrySchema = Type.Object({
  id: Type.Integer(),
  at: Type.Integer(),
  tenantId: Type.Union([Type.String(), Type.Null()]),
  actor: Type.Union([Type.String(), Type.Null()]),
  actorEmail: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(),
  target: Type.Union([Type.String(), Type.Null()]),
  ip: Type.String(),
  outcome: Type.String(),
  statusCode: Type.Integer(),
});
const Filters = {
  actor: Type.Optional(Type.String({ maxLength: 320, description: 'user id, apikey:<id>, or email' })),
  action: Type.Optional(Type.String({ maxLength: 200, description: 'substring of the action, e.g. "devices" or "auth.login"' })),
  from: Type.Optional(Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description: 'epoch ms, inclusive' })),
  to: Type.Optional(Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description: 'epoch ms, exclusive' })),
};
const EXPORT_MAX_ROWS = 100_000;

function filterOf(request: FastifyRequest, offset: number, limit: number): AuditFilter {
  const p = principalOf(request);
  const q = request.query as { actor?: string; action?: string; from?: number; to?: number };
  return { tenantId: p.role === 'superadmin' ? null : p.tenantId, actor: q.actor, action: q.action, from: q.from, to: q.to, offset, limit };
}

export function auditRoutes(app: FastifyInstance, audit: AuditService): void {
  app.get(
    '/api/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit log (newest first): every state-changing call and every login',
        security: bearerSecurity,
        querystring: Type.Object({ ...Filters, offset: Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 }), limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }) }),
        response: { 200: Type.Object({ items: Type.Array(AuditEntrySchema), total: Type.Integer() }), 401: problemSchema, 403: problemSchema },
      },
    },
    async (request) => {
      const q = request.query as { offset: number; limit: number };
      return audit.query(filterOf(request, q.offset, q.limit));
    },
  );

  app.get(
    '/api/v1/audit/export',
    {
      schema: {
        tags: ['audit'],
        summary: `Audit log export (newest first, at most ${EXPORT_MAX_ROWS} rows) as CSV or NDJSON`,
        security: bearerSecurity,
        querystring: Type.Object({ ...Filters, format: Type.Union([Type.Literal('csv'), Type.Literal('ndjson')], { default: 'ndjson' }) }),
        response: { 200: Type.String(), 401: problemSchema, 403: problemSchema },
      },
    },
    async (request, reply) => {
      const { items } = await audit.query(filterOf(request, 0, EXPORT_MAX_ROWS));
      const csv = (request.query as { format: string }).format === 'csv';
      return reply
        .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('content-disposition', `attachment; filename="vigil-audit.${csv ? 'csv' : 'ndjson'}"`)
        .send(csv ? auditCsv(items) : auditNdjson(items));
    },
  );
}
