import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { io, type Socket } from 'socket.io-client';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

let vigil: Running;
let socket: Socket | undefined;
before(async () => {
  vigil = await startVigil({ VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000' });
});
after(async () => {
  socket?.disconnect();
  await vigil.stop();
});

test('live - {alarms: true} delivers every alarm of the tenant without subscribing to its device', async () => {
  const token = await login(vigil.http);
  const device = await createDevice(vigil.http, token, 'watched-by-nobody');
  socket = io(vigil.http, { auth: { token }, transports: ['websocket'] });
  const received: { deviceId: string; status: string }[] = [];
  socket.on('alarm', (a) => received.push(a));
  const ack = await socket.timeout(10_000).emitWithAck('subscribe', { alarms: true });
  assert.deepEqual(ack, { ok: true });

  const start = Date.now() - 2000 * 60_000;
  let seed = 3;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
  const steady = Array.from({ length: 1500 }, (_, i) => ({ ts: start + i * 60_000, values: { temperature: 20 + noise() } }));
  const spike = Array.from({ length: 15 }, (_, i) => ({ ts: start + (1500 + i) * 60_000, values: { temperature: 45 } }));
  for (const batch of [steady, spike]) {
    assert.equal((await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: batch })).status, 200);
  }
  const alarm = await waitFor(async () => received.find((a) => a.deviceId === device.id), 'the alarm event', 20_000);
  assert.equal(alarm.status, 'ACTIVE_UNACK');
  const id = (alarm as unknown as { id: string }).id;
  await request(vigil.http, 'POST', `/api/v1/alarms/${id}/acknowledge`, { token });
  await waitFor(async () => received.find((a) => a.status === 'ACTIVE_ACK'), 'the acknowledged alarm event', 20_000);
});
