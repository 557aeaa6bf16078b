import { describe } from 'node:test';
import { closingStores, openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { deadLetterLogContract } from './dead-letter-log.contract.js';

describe('PgDeadLetterLog (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  deadLetterLogContract('PgDeadLetterLog', async () => {
    const stores = await openTestStores();
    return closingStores(stores.deadLetters, stores);
  });
});
