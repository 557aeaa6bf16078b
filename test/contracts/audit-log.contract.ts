// The AuditLog contract: every implementation runs it (the DuckDB and PostgreSQL logs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry, AuditLog } from '../../src/ports/audit-log.js';

function entry(extra: Partial<AuditEntry>): Omit<AuditEntry, 'id'> {
  return {
    at: 1000, tenantId: 't1', actor: 'u1', actorEmail: 'a@example.com', action: 'POST /api/v1/devices', target: null,
    ip: '127.0.0.1', outcome: 'success', statusCode: 201, ...extra,
  };
}

export function auditLogContract(name: string, open: () => Promise<AuditLog>): void {
  test(`${name} - entries come back newest first, scoped to a tenant, filtered and paged`, async () => {
    const log = await open();
    try {
      await log.append(entry({ at: 1000 }));
      await log.append(entry({ at: 2000, action: 'auth.login', actor: 'u2', actorEmail: 'b@example.com' }));
      await log.append(entry({ at: 3000, tenantId: 't2' }));
      await log.append(entry({ at: 4000, tenantId: null, action: 'auth.login', actor: null, outcome: 'failure', statusCode: 401 }));
      const t1 = await log.query({ tenantId: 't1', offset: 0, limit: 10 });
      assert.equal(t1.total, 2);
      assert.deepEqual(t1.items.map((e) => e.at), [2000, 1000]);
      assert.ok(t1.items[0]!.id > t1.items[1]!.id);
      assert.equal((await log.query({ tenantId: null, offset: 0, limit: 10 })).total, 4, 'the platform view sees every tenant');
      assert.equal((await log.query({ tenantId: 't1', action: 'login', offset: 0, limit: 10 })).total, 1);
      assert.equal((await log.query({ tenantId: 't1', actor: 'B@example.com', offset: 0, limit: 10 })).total, 1);
      assert.equal((await log.query({ tenantId: null, from: 2000, to: 4000, offset: 0, limit: 10 })).total, 2);
      const page = await log.query({ tenantId: null, offset: 1, limit: 2 });
      assert.deepEqual([page.total, page.items.map((e) => e.at)], [4, [3000, 2000]]);
    } finally {
      await log.close();
    }
  });
}
