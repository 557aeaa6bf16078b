// Alarms of the first status model (open / acknowledged / dismissed / cleared) keep working after
// the move to active/cleared × unack/ack: the DuckDB store migrates them in place at start, the
// PostgreSQL schema with migration 007. A dismissed alarm still counts as a false alarm.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDbAlarmStore } from '../../src/adapters/embedded/duckdb-alarm-store.js';
import { createPool, ensureSchema } from '../../src/adapters/distributed/postgres.js';
import { PgAlarmStore } from '../../src/adapters/distributed/pg-alarm-store.js';
import { MIGRATIONS } from '../../src/adapters/distributed/migrations/index.js';
import { openTempDuckDb } from '../helpers/duckdb.js';
import { dropSchema, postgresUrl } from '../helpers/postgres.js';
import { skipUnless, uniqueName } from '../helpers/services.js';
import type { AlarmStore } from '../../src/ports/alarm-store.js';

const OLD_ROWS = [
  ['a-open', 'open', 10],
  ['a-ack', 'acknowledged', 20],
  ['a-dismissed', 'dismissed', 30],
  ['a-cleared', 'cleared', 40],
] as const;

async function assertMigrated(store: AlarmStore): Promise<void> {
  const get = async (id: string) => (await store.getAlarm('t', id))!;
  assert.deepEqual(
    { status: (await get('a-open')).status, dismissed: (await get('a-open')).dismissed, ack: (await get('a-open')).acknowledgedAt },
    { status: 'ACTIVE_UNACK', dismissed: false, ack: null },
  );
  assert.equal((await get('a-ack')).status, 'ACTIVE_ACK');
  assert.equal((await get('a-ack')).acknowledgedAt, 20);
  const dismissed = await get('a-dismissed');
  assert.deepEqual([dismissed.status, dismissed.dismissed, dismissed.clearedAt], ['CLEARED_ACK', true, 30]);
  assert.equal((await get('a-cleared')).status, 'CLEARED_ACK', 'cleared before the migration counts as handled');
  assert.deepEqual(await store.alarmFeedback('t', 'anomaly'), [{ deviceId: 'd', key: 'k', acknowledged: 2, dismissed: 1, open: 1, raised: 4 }]);
  const active = await store.listAlarms('t', { statuses: ['ACTIVE_UNACK', 'ACTIVE_ACK'], offset: 0, limit: 10 });
  assert.deepEqual(active.items.map((a) => a.id), ['a-ack', 'a-open']);
}

const skipPostgres = await skipUnless('postgres');

describe('alarm status migration', () => {
  test('DuckDB - first-model alarm rows become the four statuses at start', async () => {
    const db = await openTempDuckDb();
    const conn = await db.connect();
    // The alarms table as the first model created it.
    await conn.run(`CREATE TABLE alarms (
      id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, type VARCHAR NOT NULL,
      key VARCHAR, severity VARCHAR NOT NULL, status VARCHAR NOT NULL, message VARCHAR NOT NULL,
      details VARCHAR NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)`);
    for (const [id, status, at] of OLD_ROWS) {
      await conn.run(`INSERT INTO alarms VALUES ($1, 't', 'd', 'anomaly', 'k', 'warning', $2, 'm', '{}', $3, $3)`, [id, status, BigInt(at)]);
    }
    const store = new DuckDbAlarmStore(db);
    await store.init();
    await assertMigrated(store);
    // A second start finds nothing left to migrate and changes nothing.
    const again = new DuckDbAlarmStore(db);
    await again.init();
    await assertMigrated(again);
    db.close();
  });

  test('PostgreSQL - migration 009 (alarm status) moves first-model rows', { skip: skipPostgres }, async () => {
    const schema = uniqueName('vigil_alarm_status').toLowerCase();
    const pool = createPool(postgresUrl, { schema, poolSize: 1 });
    try {
      await ensureSchema(pool, schema);
      for (const m of MIGRATIONS.filter((m) => m.version < 9)) for (const sql of m.statements) await pool.query(sql);
      for (const [id, status, at] of OLD_ROWS) {
        await pool.query(`INSERT INTO alarms VALUES ($1, 't', 'd', 'anomaly', 'k', 'warning', $2, 'm', '{}', $3, $3)`, [id, status, at]);
      }
      for (const sql of MIGRATIONS.find((m) => m.version === 9)!.statements) await pool.query(sql);
      await assertMigrated(new PgAlarmStore(pool));
    } finally {
      await pool.end();
      await dropSchema(schema);
    }
  });
});
