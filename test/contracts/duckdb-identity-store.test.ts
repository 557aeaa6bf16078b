import { describe } from 'node:test';
import { DuckDbAuditLog } from '../../src/adapters/embedded/duckdb-audit-log.js';
import { DuckDbIdentityStore } from '../../src/adapters/embedded/duckdb-identity-store.js';
import { DuckDbMetadataStore } from '../../src/adapters/embedded/duckdb-metadata-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { auditLogContract } from './audit-log.contract.js';
import { identityStoreContract } from './identity-store.contract.js';

describe('DuckDbIdentityStore (embedded)', () => {
  identityStoreContract('DuckDbIdentityStore', async () => {
    const db = await openTempDuckDb();
    const metadata = new DuckDbMetadataStore(db);
    await metadata.init();
    const identity = new DuckDbIdentityStore(db);
    await identity.init();
    return {
      identity,
      metadata,
      async close() {
        await identity.close();
        await metadata.close();
        db.close();
      },
    };
  });
});

describe('DuckDbAuditLog (embedded)', () => {
  auditLogContract('DuckDbAuditLog', async () => {
    const db = await openTempDuckDb();
    const log = new DuckDbAuditLog(db);
    await log.init();
    return closingDatabase(log, db);
  });
});
