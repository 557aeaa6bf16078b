import { describe } from 'node:test';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { auditLogContract } from './audit-log.contract.js';

describe('PgAuditLog (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  auditLogContract('PgAuditLog', async () => {
    const stores = await openTestStores();
    return closingStores(stores.audit, stores);
  });
});
