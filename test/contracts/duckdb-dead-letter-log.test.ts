import { describe } from 'node:test';
import { DuckDbDeadLetterLog } from '../../src/adapters/embedded/duckdb-dead-letter-log.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { deadLetterLogContract } from './dead-letter-log.contract.js';

describe('DuckDbDeadLetterLog (embedded)', () => {
  deadLetterLogContract('DuckDbDeadLetterLog', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbDeadLetterLog(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
