// The CoAP device API beyond telemetry, with the coap library's client: client attributes, reading
// attributes, shared-attribute updates and commands by Observe, command replies, calls to the
// server, claiming; an observation ends when the device is disabled.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as coapRequest, type IncomingMessage, type ObserveReadStream } from 'coap';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

interface Reply {
  code: string;
  payload: string;
}

function call(port: number, method: 'GET' | 'POST', path: string, payload?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const [pathname, query] = path.split('?');
    const req = coapRequest({ hostname: '127.0.0.1', port, method, pathname, query: query ?? '', confirmable: true });
    req.on('response', (res: IncomingMessage) => resolve({ code: res.code, payload: res.payload.toString() }));
    req.on('error', reject);
    req.end(payload);
  });
}

/** GET with Observe: every notification's payload, in order. */
function observe(port: number, path: string): Promise<{ notifications: string[]; stream: ObserveReadStream }> {
  return new Promise((resolve, reject) => {
    const req = coapRequest({ hostname: '127.0.0.1', port, method: 'GET', pathname: path, observe: true, confirmable: true });
    req.on('response', (res: ObserveReadStream) => {
      // The stream repeats the first response as its first chunk; every notification arrives as data.
      const notifications: string[] = [];
      res.on('data', (chunk: Buffer) => notifications.push(chunk.toString()));
      resolve({ notifications, stream: res });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('CoAP device API: attributes, commands (Observe), claiming', () => {
  let vigil: Running;
  let token: string;

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
  });
  after(async () => {
    await vigil.stop();
  });

  test('attributes - report client attributes, read them, observe shared updates', async () => {
    const device = await createDevice(vigil.http, token, 'coap-attrs');
    const base = `/api/v1/${device.accessToken}`;
    assert.equal((await call(vigil.coapPort, 'POST', `${base}/attributes`, '{"firmware":"1.2","model":"X"}')).code, '2.04');
    await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { interval: 30 } });
    const read = await call(vigil.coapPort, 'GET', `${base}/attributes?clientKeys=firmware&sharedKeys=interval`);
    assert.deepEqual([read.code, JSON.parse(read.payload)], ['2.05', { client: { firmware: '1.2' }, shared: { interval: 30 } }]);

    const { notifications, stream } = await observe(vigil.coapPort, `${base}/attributes`);
    await waitFor(async () => notifications.length >= 1, 'the first notification');
    assert.deepEqual(JSON.parse(notifications[0]!), { interval: 30 }, 'the first notification: the shared attributes now');
    const set = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { interval: 60 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    await waitFor(async () => notifications.length >= 2, 'a shared-attribute update notification');
    assert.deepEqual(JSON.parse(notifications[1]!), { interval: 60 });
    stream.close();
  });

  test('commands - observed rpc receives a two-way command; the reply completes it; an unknown id is 4.04', async () => {
    const device = await createDevice(vigil.http, token, 'coap-rpc');
    const base = `/api/v1/${device.accessToken}`;
    const { notifications, stream } = await observe(vigil.coapPort, `${base}/rpc`);
    const sent = request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'setValve', params: { open: true }, timeoutMs: 10_000 } });
    await waitFor(async () => notifications.some((n) => n.includes('setValve')), 'the command notification');
    const command = JSON.parse(notifications.find((n) => n.includes('setValve'))!);
    assert.deepEqual([command.method, command.params], ['setValve', { open: true }]);
    assert.equal((await call(vigil.coapPort, 'POST', `${base}/rpc/${command.id}`, '{"ok":true}')).code, '2.04');
    const result = await sent;
    assert.equal(result.status, 200, JSON.stringify(result.body));
    assert.deepEqual([result.body.status, result.body.response], ['succeeded', { ok: true }]);
    assert.equal((await call(vigil.coapPort, 'POST', `${base}/rpc/999999`, '{}')).code, '4.04');
    stream.close();
  });

  test('client-side RPC and claiming', async () => {
    const device = await createDevice(vigil.http, token, 'coap-misc');
    const base = `/api/v1/${device.accessToken}`;
    const time = await call(vigil.coapPort, 'POST', `${base}/rpc`, '{"method":"getTime","params":{}}');
    assert.equal(time.code, '2.05');
    assert.equal(typeof JSON.parse(time.payload).time, 'number');
    assert.equal((await call(vigil.coapPort, 'POST', `${base}/rpc`, '{"params":{}}')).code, '4.00');
    assert.equal((await call(vigil.coapPort, 'POST', `${base}/claim`, '{"secretKey":"abc","durationMs":60000}')).code, '2.04');
    const claimed = await request(vigil.http, 'POST', '/api/v1/devices/claim', { token, body: { deviceName: 'coap-misc', secretKey: 'abc' } });
    assert.equal(claimed.status, 200, JSON.stringify(claimed.body));
    assert.equal((await call(vigil.coapPort, 'GET', '/api/v1/not-a-token/attributes')).code, '4.01');
  });

  test('an observation ends when the device is disabled; the device is then refused', async () => {
    const device = await createDevice(vigil.http, token, 'coap-disabled');
    const base = `/api/v1/${device.accessToken}`;
    const { stream } = await observe(vigil.coapPort, `${base}/rpc`);
    assert.equal((await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).body.connectivity, 'connected', 'an observation is a session');
    assert.equal((await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/disable`, { token })).status, 204);
    await waitFor(async () => (await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).body.connectivity === 'offline', 'the session ended');
    assert.equal((await call(vigil.coapPort, 'GET', `${base}/attributes`)).code, '4.01');
    stream.close();
  });
});
