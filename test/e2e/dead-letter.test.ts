import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil } from '../helpers/harness.js';

test('the dead-letter log survives a restart', async () => {
  const first = await startVigil();
  const token = await login(first.http);
  const device = await createDevice(first.http, token, 'flaky-firmware');
  assert.equal((await request(first.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: '{"t": oops}' })).status, 400);
  await first.stop({ keepData: true });

  const second = await startVigil({}, first.dataDir);
  try {
    const token2 = await login(second.http);
    const log = await request(second.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token: token2 });
    assert.equal(log.body.items.length, 1);
    assert.equal(log.body.items[0].reason, 'invalid_json');
    assert.equal(log.body.items[0].payloadHead, '{"t": oops}');
    // New rejections continue after the reloaded ones, newest first.
    await request(second.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: '[]' });
    const after = await request(second.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token: token2 });
    assert.deepEqual(after.body.items.map((e: { reason: string }) => e.reason), ['empty', 'invalid_json']);
    assert.ok(after.body.items[0].id > after.body.items[1].id);
  } finally {
    await second.stop();
  }
});

test('the dead-letter log keeps only the newest entries', async () => {
  const vigil = await startVigil({ VIGIL_REJECTED_LOG_SIZE: '5', VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '1000' });
  try {
    const token = await login(vigil.http);
    const device = await createDevice(vigil.http, token, 'noisy');
    for (let i = 0; i < 8; i++) await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: `bad ${i}` });
    const log = await request(vigil.http, 'GET', '/api/v1/ingest/rejected', { token });
    assert.deepEqual(log.body.items.map((e: { payloadHead: string }) => e.payloadHead), ['bad 7', 'bad 6', 'bad 5', 'bad 4', 'bad 3']);
  } finally {
    await vigil.stop();
  }
});
