import { describe } from 'node:test';
import { DuckDbAlarmJournal } from '../../src/adapters/embedded/duckdb-alarm-journal.js';
import { closingDatabase, openTempDuckDb } from '../helpers/duckdb.js';
import { alarmJournalContract } from './alarm-journal.contract.js';

describe('DuckDbAlarmJournal (embedded)', () => {
  alarmJournalContract('DuckDbAlarmJournal', async () => {
    const db = await openTempDuckDb();
    const journal = new DuckDbAlarmJournal(db);
    await journal.init();
    return closingDatabase(journal, db);
  });
});
