// Row mapping of the AlarmJournal table, shared by the DuckDB and PostgreSQL journals.
import type { JournalEntry } from '../../ports/alarm-journal.js';
import { num, textOrNull, type Row } from './row.js';

export function toJournalEntry(r: Row): JournalEntry {
  return {
    tenantId: r.tenant_id as string,
    alarmId: r.alarm_id as string,
    at: num(r.at_ms),
    kind: r.kind as JournalEntry['kind'],
    by: r.by_whom as string,
    text: textOrNull(r.text),
  };
}
