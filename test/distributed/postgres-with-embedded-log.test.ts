// PostgreSQL storage with the embedded ingest log (one node, VIGIL_POSTGRES_URL alone) through the
// real app. The database outlives the data dir: a node started on a fresh data dir (new log,
// sequence numbers from 1 again) against a database that recorded a far higher position must
// still store what it accepts, which it does because PostgreSQL is idempotent per point and the
// storage writer does not skip by sequence there.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createDevice, login, request, startVigil, waitFor } from '../helpers/harness.js';
import { dropSchema, postgresUrl } from '../helpers/postgres.js';
import { skipUnless, uniqueName } from '../helpers/services.js';

describe('PostgreSQL storage with the embedded log', { skip: await skipUnless('postgres') }, () => {
  const schema = uniqueName('vigil_pg_file').toLowerCase();
  const env = { VIGIL_POSTGRES_URL: postgresUrl, VIGIL_POSTGRES_SCHEMA: schema, VIGIL_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!' };
  after(async () => dropSchema(schema));

  test('PostgreSQL + embedded log - a new data dir on a database with a high recorded position still stores every point', async () => {
    const first = await startVigil(env);
    const token = await login(first.http);
    const device = await createDevice(first.http, token, 'moved');
    await first.stop();

    // As if this database had served a log far ahead of the one the next node starts with.
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    try {
      await client.query(`UPDATE "${schema}".ingest_positions SET seq = 1000000000`);
      await client.query(`INSERT INTO "${schema}".ingest_positions VALUES ('storage', 1000000000) ON CONFLICT (consumer) DO UPDATE SET seq = excluded.seq`);
    } finally {
      await client.end();
    }

    const second = await startVigil(env);
    try {
      const ts = Date.now() - 60_000;
      const res = await request(second.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts, values: { t: 21.5 } } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const token2 = await login(second.http);
      const stored = await waitFor(async () => {
        const r = await request(second.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=t&from=${ts - 1}`, { token: token2 });
        return r.body?.data?.t?.length === 1 ? r.body.data.t : null;
      }, 'the point stored in PostgreSQL', 30_000);
      assert.equal(stored[0].value, 21.5);
    } finally {
      await second.stop();
    }
  });
});
