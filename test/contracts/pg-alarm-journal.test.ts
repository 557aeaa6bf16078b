import { describe } from 'node:test';
import { PgAlarmJournal } from '../../src/adapters/distributed/pg-alarm-journal.js';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { alarmJournalContract } from './alarm-journal.contract.js';

describe('PgAlarmJournal (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  alarmJournalContract('PgAlarmJournal', async () => {
    const stores = await openTestStores();
    const store = new PgAlarmJournal(stores.pool);
    await store.init();
    return closingStores(store, stores);
  });
});
