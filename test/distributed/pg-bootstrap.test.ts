// Nodes started together on a new shared database: each finds no tenant and bootstraps; exactly
// one default tenant and one admin@localhost must come out, and every node must start.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresStores } from '../../src/adapters/distributed/postgres.js';
import { AuditService } from '../../src/domains/audit/audit.service.js';
import { ADMIN_EMAIL, AuthService } from '../../src/domains/auth/auth.service.js';
import { TokenService } from '../../src/domains/auth/tokens.js';
import { createLogger } from '../../src/observability/logger.js';
import { openTestStores, postgresUrl } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';

describe('bootstrap on PostgreSQL', { skip: await skipUnless('postgres') }, () => {
  test('bootstrap - three nodes at once on an empty database: one tenant, one admin, all agree', async () => {
    const first = await openTestStores();
    const others = await Promise.all([1, 2].map(() => openPostgresStores(postgresUrl, { schema: first.schema, poolSize: 2 })));
    try {
      const nodes = [first, ...others];
      const logger = createLogger('silent');
      const auths = nodes.map(
        (n) => new AuthService(n.metadata, n.identity, new TokenService('k'.repeat(32), 900, 3600), new AuditService(n.audit, logger)),
      );
      const results = await Promise.all(auths.map((a) => a.bootstrap('Correct-Horse-Battery-9')));
      assert.equal(results.filter((r) => r.created).length, 1, 'exactly one node created the admin');
      const tenants = await first.metadata.listTenants();
      assert.equal(tenants.length, 1);
      assert.deepEqual(new Set(results.map((r) => r.tenantId)), new Set([tenants[0]!.id]));
      const admin = await first.identity.getUserByEmail(ADMIN_EMAIL);
      assert.deepEqual([admin?.role, admin?.tenantId], ['superadmin', tenants[0]!.id]);
    } finally {
      await Promise.all(others.map((n) => n.close()));
      await first.close();
    }
  });
});
