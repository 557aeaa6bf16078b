// Applies the numbered migrations (migrations/) to the schema first on the search_path. Nodes
// that start at once queue on a session advisory lock: the first applies, the others then find
// nothing pending. Each migration runs in one transaction with its vigil_migrations row, so a
// failed migration leaves no trace and is retried on the next start.
import type { Pool, PoolClient } from 'pg';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** Advisory-lock key derived from the schema, so schemas on one server do not wait on each other. */
const LOCK_KEY = `hashtext(current_schema() || '.vigil_migrations')`;

export interface MigrationStatus {
  applied: number[];
  pending: Migration[];
}

async function appliedVersions(client: PoolClient): Promise<number[]> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass('vigil_migrations')::text AS t`);
  if (exists.rows[0]?.t === null || exists.rows[0]?.t === undefined) return [];
  const rows = await client.query<{ version: number }>('SELECT version FROM vigil_migrations ORDER BY version');
  return rows.rows.map((r) => r.version);
}

function statusOf(applied: number[], migrations: readonly Migration[]): MigrationStatus {
  const done = new Set(applied);
  return { applied, pending: migrations.filter((m) => !done.has(m.version)) };
}

async function currentSchema(client: PoolClient): Promise<string> {
  const rows = await client.query<{ s: string | null }>('SELECT current_schema() AS s');
  const schema = rows.rows[0]?.s;
  if (!schema) throw new Error('PostgreSQL: no schema on the search_path to migrate (create it first)');
  return schema;
}

/** What is applied and what is pending, without changing anything (`vigil migrate --dry-run`). */
export async function migrationStatus(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationStatus> {
  const client = await pool.connect();
  try {
    // A schema that does not exist yet has every migration pending.
    const schema = await client.query<{ s: string | null }>('SELECT current_schema() AS s');
    if (!schema.rows[0]?.s) return statusOf([], migrations);
    return statusOf(await appliedVersions(client), migrations);
  } finally {
    client.release();
  }
}

/** Applies every pending migration; returns the ones this call applied (none if another node did). */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<Migration[]> {
  const client = await pool.connect();
  try {
    await currentSchema(client);
    await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS vigil_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const { pending } = statusOf(await appliedVersions(client), migrations);
      for (const m of pending) {
        await client.query('BEGIN');
        try {
          for (const sql of m.statements) await client.query(sql);
          await client.query('INSERT INTO vigil_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new Error(`PostgreSQL migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
        }
      }
      return pending;
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`);
    }
  } finally {
    client.release();
  }
}
