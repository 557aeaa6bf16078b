// Migrations of the PostgreSQL schema: two nodes migrating at once, `vigil migrate --dry-run`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPool, ensureSchema, openPostgresStores } from '../../src/adapters/distributed/postgres.js';
import { migrate, migrationStatus } from '../../src/adapters/distributed/pg-migrator.js';
import { MIGRATIONS } from '../../src/adapters/distributed/migrations/index.js';
import { dropSchema, postgresUrl } from '../helpers/postgres.js';
import { runVigil } from '../helpers/process.js';
import { skipUnless, uniqueName } from '../helpers/services.js';

const schemaName = () => uniqueName('vigil_migrate').toLowerCase();

describe('PostgreSQL migrations', { skip: await skipUnless('postgres') }, () => {
  test('migrations - two migrators at once both succeed and each migration is applied once', async () => {
    const schema = schemaName();
    const nodes = [createPool(postgresUrl, { schema, poolSize: 1 }), createPool(postgresUrl, { schema, poolSize: 1 })];
    try {
      await ensureSchema(nodes[0]!, schema);
      assert.equal((await migrationStatus(nodes[0]!)).pending.length, MIGRATIONS.length);
      const applied = await Promise.all(nodes.map((pool) => migrate(pool)));
      // One of them applied everything; the other waited on the lock and found nothing pending.
      assert.deepEqual(applied.map((a) => a.length).sort(), [0, MIGRATIONS.length]);
      const rows = await nodes[1]!.query<{ version: number }>('SELECT version FROM vigil_migrations ORDER BY version');
      assert.deepEqual(rows.rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
      assert.deepEqual(await migrationStatus(nodes[1]!), { applied: MIGRATIONS.map((m) => m.version), pending: [] });
      assert.deepEqual(await migrate(nodes[0]!), [], 'a later start applies nothing');
    } finally {
      await Promise.all(nodes.map((pool) => pool.end()));
      await dropSchema(schema);
    }
  });

  test('migrations - two nodes opening the stores on a new schema at once both start', async () => {
    const schema = schemaName();
    try {
      const nodes = await Promise.all([1, 2].map(() => openPostgresStores(postgresUrl, { schema, poolSize: 2 })));
      await nodes[0]!.metadata.createTenant({ id: 't', name: 'shared', createdAt: 1 });
      assert.deepEqual((await nodes[1]!.metadata.listTenants()).map((t) => t.name), ['shared']);
      await Promise.all(nodes.map((n) => n.close()));
    } finally {
      await dropSchema(schema);
    }
  });

  test('migrations - `vigil migrate --dry-run` lists pending migrations and applies nothing; `vigil migrate` applies them', async () => {
    const schema = schemaName();
    const cli = async (...args: string[]) => {
      const run = runVigil(['migrate', '--postgres-url', postgresUrl, '--schema', schema, ...args]);
      return { code: await run.exited, output: run.output() };
    };
    try {
      const dry = await cli('--dry-run');
      assert.equal(dry.code, 0, dry.output);
      assert.match(dry.output, new RegExp(`0 applied, ${MIGRATIONS.length} pending`));
      for (const m of MIGRATIONS) assert.match(dry.output, new RegExp(`pending 0*${m.version} ${m.name}`));
      const pool = createPool(postgresUrl, { schema, poolSize: 1 });
      try {
        assert.equal((await migrationStatus(pool)).applied.length, 0, 'dry run changed nothing');
        const real = await cli();
        assert.equal(real.code, 0, real.output);
        assert.match(real.output, new RegExp(`applied ${MIGRATIONS.length} migration`));
        assert.equal((await migrationStatus(pool)).pending.length, 0);
        const again = await cli('--dry-run');
        assert.match(again.output, new RegExp(`${MIGRATIONS.length} applied, 0 pending`));
      } finally {
        await pool.end();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  test('stores - an unreachable server fails the open with one line naming the URL, password hidden', async () => {
    await assert.rejects(openPostgresStores('postgres://vigil:secret@127.0.0.1:1/vigil'), (err: Error) => {
      assert.match(err.message, /^PostgreSQL at postgres:\/\/vigil:\*\*\*@127\.0\.0\.1:1\/vigil: .*ECONNREFUSED/);
      assert.doesNotMatch(err.message, /secret|\n/);
      return true;
    });
  });

  test('migrations - `vigil migrate` without a URL says how to give one', async () => {
    const run = runVigil(['migrate', '--dry-run'], { VIGIL_POSTGRES_URL: '' });
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /--postgres-url or set VIGIL_POSTGRES_URL/);
  });
});
