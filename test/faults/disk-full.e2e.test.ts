// End to end: a real Vigil with its data dir on a small tmpfs. The disk fills; devices are told
// to retry (503 + Retry-After), /ready says why, the rest of the API keeps working; when space
// is freed ingest resumes by itself, and after a restart every acknowledged point is stored -
// no more, no less. Needs root for the tmpfs (CI runs as root); skipped otherwise, where
// test/faults/wal-faults.test.ts covers the same with an injected full disk.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ADMIN_PASSWORD, createDevice, login, request, waitFor } from '../helpers/harness.js';
import { startVigilProcess, type VigilProcess } from '../helpers/process.js';
import { fillDisk, mountTmpfs } from './fault-fs.js';

const MIB = 1024 * 1024;

async function scenario(minFreeDiskBytes: number, leaveFreeBytes: number, expectReadyCheck: string, expectReason: RegExp) {
  const mount = await mountTmpfs(96 * MIB);
  if (!mount) return 'skipped: a tmpfs needs root';
  const dataDir = join(mount.dir, 'data');
  const filler = join(mount.dir, 'filler');
  const env = {
    VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
    VIGIL_MIN_FREE_DISK_BYTES: String(minFreeDiskBytes),
    VIGIL_DISK_CHECK_INTERVAL_MS: '100',
    VIGIL_ANOMALY_DETECTION: 'false',
  };
  let vigil: VigilProcess | null = null;
  try {
    vigil = await startVigilProcess(dataDir, env);
    const token = await login(vigil.http);
    const device = await createDevice(vigil.http, token, 'disk-full');
    const base = Date.now() - 3_600_000;
    let n = 0;
    let acked = 0;
    const post = async (points = 100) => {
      const batch = Array.from({ length: points }, () => ({ ts: base + n++, values: { n } }));
      const res = await request(vigil!.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: batch });
      if (res.status === 200) acked += points;
      return res;
    };
    for (let i = 0; i < 10; i++) assert.equal((await post()).status, 200);

    await fillDisk(filler, leaveFreeBytes);
    const refused = await waitFor(async () => {
      const res = await post();
      return res.status === 503 ? res : null;
    }, 'ingest refused while the disk is full', 30_000);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After header');
    assert.equal(refused.body.error, 'UNAVAILABLE');
    const ready = await request(vigil.http, 'GET', '/ready');
    assert.equal(ready.status, 503);
    assert.match(ready.body.checks[expectReadyCheck], expectReason);
    const metrics = await request(vigil.http, 'GET', '/metrics');
    assert.match(String(metrics.body), /vigil_ingest_unavailable_total\{reason="(disk_space_low|log_write_failed)"\} [1-9]/);
    // The rest keeps working: login and queries.
    const token2 = await login(vigil.http);
    const query = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=n&from=${base - 1}&to=${base + 100_000}&limit=100`, { token: token2 });
    assert.equal(query.status, 200);

    await rm(filler);
    await waitFor(async () => (await post()).status === 200, 'ingest resumes after space is freed', 30_000);
    for (let i = 0; i < 10; i++) await post();
    await waitFor(async () => (await request(vigil!.http, 'GET', '/ready')).status === 200, '/ready back to 200', 30_000);

    vigil.child.kill('SIGTERM');
    assert.equal(await vigil.exited, 0);
    vigil = await startVigilProcess(dataDir, env);
    const token3 = await login(vigil.http);
    const q = `/api/v1/devices/${device.id}/telemetry?keys=n&from=${base - 1}&to=${base + 1_000_000}&interval=1d&agg=count`;
    const stored = await waitFor(async () => {
      const r = await request(vigil!.http, 'GET', q, { token: token3 });
      const count = (r.body.data.n ?? []).reduce((sum: number, b: { count: number }) => sum + b.count, 0);
      return count === acked ? count : null;
    }, `all ${acked} acknowledged points stored after restart`, 30_000);
    assert.equal(stored, acked);
    return 'ran';
  } finally {
    if (vigil && vigil.child.exitCode === null) {
      vigil.child.kill('SIGKILL');
      await vigil.exited;
    }
    await mount.unmount();
  }
}

describe('disk full, end to end (real process on a small tmpfs)', () => {
  test('below the free-space floor: 503 + Retry-After, /ready says why, resumes, nothing acknowledged lost', async (t) => {
    const outcome = await scenario(16 * MIB, 8 * MIB, 'diskSpace', /disk space low: .* below the floor/);
    if (outcome !== 'ran') t.skip(outcome);
  });

  test('floor disabled, disk truly full: the log refuses, /ready says why, resumes, nothing acknowledged lost', async (t) => {
    const outcome = await scenario(0, 0, 'ingestLog', /failing since .*(ENOSPC|no space|no progress)/i);
    if (outcome !== 'ran') t.skip(outcome);
  });
});
