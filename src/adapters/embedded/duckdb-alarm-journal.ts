// Embedded AlarmJournal on DuckDB: one row per entry.
import type { AlarmJournal, JournalEntry } from '../../ports/alarm-journal.js';
import { toJournalEntry } from '../rows/alarm-journal-rows.js';
import { toNumber, type DuckDbDatabase, type SerialConnection } from './duckdb-database.js';

export class DuckDbAlarmJournal implements AlarmJournal {
  private conn!: SerialConnection;
  private seq = 0;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    await this.conn.run(`CREATE TABLE IF NOT EXISTS alarm_journal (
      tenant_id VARCHAR NOT NULL, alarm_id VARCHAR NOT NULL, at_ms BIGINT NOT NULL, seq BIGINT NOT NULL,
      kind VARCHAR NOT NULL, by_whom VARCHAR NOT NULL, text VARCHAR)`);
    const rows = await this.conn.all('SELECT coalesce(max(seq), 0) AS s FROM alarm_journal');
    this.seq = toNumber(rows[0]!.s);
  }

  async append(e: JournalEntry): Promise<void> {
    // seq orders entries written in the same millisecond (raised, then acknowledged at once).
    await this.conn.run('INSERT INTO alarm_journal VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      e.tenantId,
      e.alarmId,
      BigInt(e.at),
      BigInt(++this.seq),
      e.kind,
      e.by,
      e.text,
    ]);
  }

  async list(tenantId: string, alarmId: string): Promise<JournalEntry[]> {
    const rows = await this.conn.all('SELECT * FROM alarm_journal WHERE tenant_id = $1 AND alarm_id = $2 ORDER BY at_ms, seq', [tenantId, alarmId]);
    return rows.map(toJournalEntry);
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
