// PostgreSQL stores in a schema of their own, for the scaled-out suites: every test gets a fresh
// schema on the shared server (serviceUrls.postgres) and drops it when done, so runs never see
// each other's rows or the server's other users.
import pg from 'pg';
import { openPostgresStores, type PostgresOptions, type PostgresStores } from '../../src/adapters/distributed/postgres.js';
import { serviceUrls, uniqueName } from './services.js';

export const postgresUrl = serviceUrls.postgres;

/** Drops a schema and everything in it, through a connection of its own. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface TestStores extends PostgresStores {
  schema: string;
}

/** Opens the PostgreSQL stores in a new schema; close() ends the pool and drops the schema. */
export async function openTestStores(options: PostgresOptions = {}): Promise<TestStores> {
  const schema = options.schema ?? uniqueName('vigil_test').toLowerCase();
  const stores = await openPostgresStores(postgresUrl, { poolSize: 4, ...options, schema });
  return {
    ...stores,
    schema,
    close: async () => {
      await stores.close();
      await dropSchema(schema);
    },
  };
}

/** Makes store.close() also close the test stores (pool and schema). */
export function closingStores<T extends { close(): Promise<void> }>(store: T, stores: TestStores): T {
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await stores.close();
  };
  return store;
}
