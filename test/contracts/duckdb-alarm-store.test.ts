import { describe } from 'node:test';
import { DuckDbAlarmStore } from '../../src/adapters/embedded/duckdb-alarm-store.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { alarmStoreContract } from './alarm-store.contract.js';

describe('DuckDbAlarmStore (embedded)', () => {
  alarmStoreContract('DuckDbAlarmStore', async () => {
    const store = new DuckDbAlarmStore(await openTempDuckDb());
    await store.init();
    return store;
  });
});
