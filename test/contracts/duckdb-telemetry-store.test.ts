import { describe } from 'node:test';
import { DuckDbTelemetryStore } from '../../src/adapters/embedded/duckdb-telemetry-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { telemetryStoreContract } from './telemetry-store.contract.js';

describe('DuckDbTelemetryStore (embedded)', () => {
  telemetryStoreContract('DuckDbTelemetryStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbTelemetryStore(db);
    await store.init();
    await store.whenRollupsReady();
    return closingDatabase(store, db);
  });
});
