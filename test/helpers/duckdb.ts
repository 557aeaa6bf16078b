// A DuckDB database in a fresh temporary directory, for the contract suites of the embedded stores.
import { join } from 'node:path';
import { DuckDbDatabase } from '../../src/adapters/embedded/duckdb-database.js';
import { tempDir } from './harness.js';

export async function openTempDuckDb(): Promise<DuckDbDatabase> {
  return DuckDbDatabase.open(join(await tempDir('vigil-duck-'), 'test.duckdb'));
}

/** Makes store.close() also close its database, so each contract test releases its file. */
export function closingDatabase<T extends { close(): Promise<void> }>(store: T, db: DuckDbDatabase): T {
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    db.close();
  };
  return store;
}
