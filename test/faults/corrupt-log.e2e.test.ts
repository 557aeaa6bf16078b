// The failure from issue 7: the ingest log holds a record failing its checksum with thousands of
// valid records after it. On start the damaged record is quarantined and reported, every valid
// record after it reaches storage, and ingest goes on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord } from '../../src/adapters/embedded/wal-segment.js';
import { encodeBatch } from '../../src/domains/telemetry/batch-codec.js';
import { createDevice, login, request, startVigil, tempDir, waitFor } from '../helpers/harness.js';

describe('a damaged record in the middle of the ingest log', () => {
  test('is quarantined and reported; the valid records after it are stored; ingest goes on', async () => {
    const dataDir = await tempDir();
    let vigil = await startVigil({}, dataDir);
    const token = await login(vigil.http);
    const device = await createDevice(vigil.http, token, 'after-damage');
    const tenantId = (await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).body.tenantId as string;
    const base = Date.now() - 3_600_000;
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts: base, values: { n: 0 } } })).status, 200);
    await vigil.stop({ keepData: true });

    // Append 1 damaged + 2,000 valid records, as if written by the log before a crash.
    const dir = join(dataDir, 'bus', 'telemetry');
    const segment = join(dir, (await readdir(dir)).filter((n) => n.endsWith('.wal')).sort().pop()!);
    const existing = await readFile(segment);
    assert.ok(existing.length > 0);
    let seq = 1000;
    const record = (n: number) =>
      encodeRecord(seq++, encodeBatch({ tenantId, deviceId: device.id, transport: 'http', receivedAt: Date.now(), points: [{ key: 'n', ts: base + n, value: n }] }));
    const damaged = record(1);
    damaged[damaged.length - 2] ^= 0xff;
    const valid = Array.from({ length: 2000 }, (_, i) => record(2 + i));
    await appendFile(segment, Buffer.concat([damaged, ...valid]));

    vigil = await startVigil({}, dataDir);
    try {
      const token2 = await login(vigil.http);
      assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts: base + 5000, values: { n: 5000 } } })).status, 200);
      const q = `/api/v1/devices/${device.id}/telemetry?keys=n&from=${base - 1}&to=${base + 10_000}&limit=10000`;
      const stored = await waitFor(async () => {
        const r = await request(vigil.http, 'GET', q, { token: token2 });
        const values = (r.body.data.n ?? []).map((p: { value: number }) => p.value) as number[];
        return values.length === 2002 ? values : null;
      }, 'every valid record stored', 30_000);
      assert.ok(!stored.includes(1), 'the damaged record was not stored');
      const ready = await request(vigil.http, 'GET', '/ready');
      assert.equal(ready.status, 200);
      assert.match(ready.body.checks.ingestLog, /1 damaged record\(s\) kept aside: .*quarantine/);
      const metrics = String((await request(vigil.http, 'GET', '/metrics')).body);
      assert.match(metrics, /vigil_wal_quarantined_records_total 1/);
      const quarantine = await readdir(join(dir, 'quarantine'));
      assert.equal(quarantine.length, 1);
      assert.equal((await readFile(join(dir, 'quarantine', quarantine[0]!))).length, damaged.length);
    } finally {
      await vigil.stop();
    }
  });
});
