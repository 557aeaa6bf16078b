// `vigil migrate`: applies the PostgreSQL schema migrations of scaled-out mode, or with
// --dry-run lists the pending ones without changing anything. Nodes also migrate at start-up
// (under an advisory lock); this command lets an operator see and apply them ahead of a rollout.
import { parseCommandLine } from './args.js';

const HELP = `usage: vigil migrate [--dry-run] [options]

Applies pending PostgreSQL migrations of scaled-out mode (safe while nodes run or start:
an advisory lock serialises migrators).

options:
  --postgres-url URL   PostgreSQL to migrate (default: $VIGIL_POSTGRES_URL)
  --schema NAME        schema holding Vigil's tables (default: the server's search_path)
  --dry-run            list pending migrations, apply nothing
  -h, --help           this text`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    'migrate',
    argv,
    {
      'postgres-url': { type: 'string' },
      schema: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
    HELP,
  );
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const flags = parsed.values;
  const url = flags['postgres-url'] || process.env.VIGIL_POSTGRES_URL;
  if (!url) {
    console.error('vigil migrate: no database: pass --postgres-url or set VIGIL_POSTGRES_URL');
    return 2;
  }
  // Loaded here so the other commands never load the PostgreSQL driver.
  const { createPool, ensureSchema, redactUrl } = await import('../adapters/distributed/postgres.js');
  const { migrate, migrationStatus } = await import('../adapters/distributed/pg-migrator.js');
  const where = `${redactUrl(url)}${flags.schema ? ` (schema ${flags.schema})` : ''}`;
  const pool = createPool(url, { schema: flags.schema, poolSize: 1 });
  try {
    if (flags['dry-run']) {
      const { applied, pending } = await migrationStatus(pool);
      console.log(`${where}: ${applied.length} applied, ${pending.length} pending`);
      for (const m of pending) console.log(`  pending ${String(m.version).padStart(3, '0')} ${m.name}`);
      return 0;
    }
    if (flags.schema) await ensureSchema(pool, flags.schema);
    const applied = await migrate(pool);
    console.log(`${where}: applied ${applied.length} migration(s)`);
    for (const m of applied) console.log(`  applied ${String(m.version).padStart(3, '0')} ${m.name}`);
    return 0;
  } catch (err) {
    console.error(`vigil migrate: ${where}: ${(err as Error).message}`);
    return 1;
  } finally {
    await pool.end().catch(() => undefined);
  }
}
