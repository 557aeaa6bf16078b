import { describe } from 'node:test';
import { DuckDbRuleStore } from '../../src/adapters/embedded/duckdb-rule-store.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { ruleStoreContract } from './rule-store.contract.js';

describe('DuckDbRuleStore (embedded)', () => {
  ruleStoreContract('DuckDbRuleStore', async () => {
    const db = await openTempDuckDb();
    const store = new DuckDbRuleStore(db);
    await store.init();
    return closingDatabase(store, db);
  });
});
