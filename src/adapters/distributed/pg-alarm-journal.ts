// AlarmJournal on PostgreSQL (migration 007): one row per entry. The order within a millisecond
// comes from an identity column every node draws from, not a per-process counter, so entries two
// nodes write for one alarm keep the order in which they were committed.
import type { Pool } from 'pg';
import type { AlarmJournal, JournalEntry } from '../../ports/alarm-journal.js';
import { toJournalEntry } from '../rows/alarm-journal-rows.js';
import type { Row } from '../rows/row.js';

export class PgAlarmJournal implements AlarmJournal {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  async append(e: JournalEntry): Promise<void> {
    await this.pool.query('INSERT INTO alarm_journal (tenant_id, alarm_id, at_ms, kind, by_whom, text) VALUES ($1, $2, $3, $4, $5, $6)', [
      e.tenantId,
      e.alarmId,
      e.at,
      e.kind,
      e.by,
      e.text,
    ]);
  }

  async list(tenantId: string, alarmId: string): Promise<JournalEntry[]> {
    const { rows } = await this.pool.query('SELECT * FROM alarm_journal WHERE tenant_id = $1 AND alarm_id = $2 ORDER BY at_ms, seq', [tenantId, alarmId]);
    return (rows as Row[]).map(toJournalEntry);
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
