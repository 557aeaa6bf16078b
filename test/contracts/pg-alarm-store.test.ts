import { after, describe } from 'node:test';
import { openTestStores, type TestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { alarmStoreContract } from './alarm-store.contract.js';

describe('PgAlarmStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  // The AlarmStore port has no close(): the schemas are dropped once the suite is done.
  const opened: TestStores[] = [];
  after(async () => {
    for (const stores of opened) await stores.close();
  });
  alarmStoreContract('PgAlarmStore', async () => {
    const stores = await openTestStores();
    opened.push(stores);
    return stores.alarms;
  });
});
