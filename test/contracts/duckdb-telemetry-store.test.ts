import { describe } from 'node:test';
import { join } from 'node:path';
import { DuckDbDatabase } from '../../src/adapters/embedded/duckdb-database.js';
import { DuckDbTelemetryStore } from '../../src/adapters/embedded/duckdb-telemetry-store.js';
import { tempDir } from '../helpers/harness.js';
import { telemetryStoreContract } from './telemetry-store.contract.js';

describe('DuckDbTelemetryStore (embedded)', () => {
  telemetryStoreContract('DuckDbTelemetryStore', async () => {
    const db = await DuckDbDatabase.open(join(await tempDir('vigil-duck-'), 'test.duckdb'));
    const store = new DuckDbTelemetryStore(db);
    await store.init();
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      db.close();
    };
    return store;
  });
});
