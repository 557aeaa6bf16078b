import { describe } from 'node:test';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { telemetryStoreContract } from './telemetry-store.contract.js';
import type { PgTelemetryStore } from '../../src/adapters/distributed/pg-telemetry-store.js';

describe('PgTelemetryStore (PostgreSQL, COPY)', { skip: await skipUnless('postgres') }, () => {
  telemetryStoreContract('PgTelemetryStore', async () => {
    const stores = await openTestStores();
    await stores.telemetryLifecycle.whenRollupsReady();
    return closingStores(stores.telemetry as PgTelemetryStore, stores);
  });
});

describe('PgTelemetryStore (PostgreSQL, unnest)', { skip: await skipUnless('postgres') }, () => {
  telemetryStoreContract('PgTelemetryStore/unnest', async () => {
    const stores = await openTestStores({ bulkLoad: 'unnest' });
    return closingStores(stores.telemetry as PgTelemetryStore, stores);
  });
});
