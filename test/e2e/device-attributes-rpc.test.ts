// The ThingsBoard device API for attributes and commands, end to end with real clients: mqtt.js
// (3.1.1 and 5), Eclipse Paho for Python, mosquitto_sub, curl, against a real Vigil.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const hasMosquitto = existsSync('/usr/bin/mosquitto_sub');
const hasCurl = existsSync('/usr/bin/curl');
const hasPaho = await run(PYTHON, ['-c', 'import paho.mqtt.client']).then(
  () => true,
  () => false,
);
const skipUnlessCi = (available: boolean) => (available || process.env.CI === 'true' ? false : 'client not installed');

// A ThingsBoard-style device in Python: requests its shared config, answers one command.
const PAHO_DEVICE = `
import sys, json, threading
import paho.mqtt.client as mqtt
host, port, token = sys.argv[1:4]
c = mqtt.Client(client_id='paho-device', protocol=mqtt.MQTTv311)
c.username_pw_set(token)
got = {}
done = threading.Event()
def on_message(client, userdata, msg):
    if msg.topic.startswith('v1/devices/me/attributes/response/'):
        got['attrs'] = json.loads(msg.payload)
        print('subscribed', flush=True)
    elif msg.topic.startswith('v1/devices/me/rpc/request/'):
        rid = msg.topic.split('/')[-1]
        req = json.loads(msg.payload)
        client.publish('v1/devices/me/rpc/response/' + rid, json.dumps({'echo': req['params'], 'attrs': got.get('attrs')}), qos=1)
        done.set()
def on_connect(client, userdata, flags, rc):
    client.subscribe([('v1/devices/me/attributes/response/+', 1), ('v1/devices/me/rpc/request/+', 1)])
    client.publish('v1/devices/me/attributes/request/1', json.dumps({'sharedKeys': 'interval'}), qos=1)
c.on_message = on_message
c.on_connect = on_connect
c.connect(host, int(port), keepalive=30)
c.loop_start()
ok = done.wait(30)
import time; time.sleep(0.5)
c.disconnect(); c.loop_stop()
print('ok' if ok else 'no command')
`;

function connect(port: number, token: string, version: 4 | 5 = 4, extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: token, protocolVersion: version, reconnectPeriod: 0, connectTimeout: 15_000, ...extra });
}

function nextMessage(client: MqttClient, match: (topic: string) => boolean): Promise<{ topic: string; body: any }> {
  return new Promise((resolve) => {
    const onMessage = (topic: string, payload: Buffer) => {
      if (!match(topic)) return;
      client.off('message', onMessage);
      const text = payload.toString();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep text
      }
      resolve({ topic, body });
    };
    client.on('message', onMessage);
  });
}

describe('device API: attributes and commands', () => {
  let vigil: Running;
  let token: string;
  let dir: string;

  before(async () => {
    dir = await tempDir('vigil-devapi-');
    await writeFile(join(dir, 'paho_device.py'), PAHO_DEVICE);
    vigil = await startVigil();
    token = await login(vigil.http);
  });
  after(async () => {
    await vigil.stop();
  });

  test('HTTP - ThingsBoard connection check: POST {} to telemetry answers 200', async () => {
    const device = await createDevice(vigil.http, token, 'http-check');
    const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: '{}' });
    assert.equal(res.status, 200);
  });

  test('MQTT 3.1.1 - client attributes are stored, listed and kept in the history', async () => {
    const device = await createDevice(vigil.http, token, 'attr-client');
    const client = await connect(vigil.mqttPort, device.accessToken);
    await client.publishAsync('v1/devices/me/attributes', JSON.stringify({ fw: '1.0', cfg: { a: [1, 2] } }), { qos: 1 });
    await client.publishAsync('v2/a', JSON.stringify({ fw: '1.1' }), { qos: 1 });
    const list = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/attributes?scope=client`, { token });
    assert.deepEqual(list.body.items.map((a: any) => [a.key, a.value]), [['cfg', { a: [1, 2] }], ['fw', '1.1']]);
    const history = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/attributes/history?key=fw`, { token });
    assert.deepEqual(history.body.items.map((h: any) => [h.value, h.source]), [['1.1', 'device'], ['1.0', 'device']]);
    await client.endAsync();
  });

  test('MQTT - shared attributes: pushed on change and deletion, answered on request (v1 and v2 topics), server scope never sent', async () => {
    const device = await createDevice(vigil.http, token, 'attr-shared');
    const client = await connect(vigil.mqttPort, device.accessToken, 5);
    await client.subscribeAsync(['v1/devices/me/attributes', 'v1/devices/me/attributes/response/+', 'v2/a/res/+'], { qos: 1 });
    const pushed = nextMessage(client, (t) => t === 'v1/devices/me/attributes');
    const set = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { interval: 30, mode: 'eco' } });
    assert.equal(set.status, 200);
    assert.deepEqual((await pushed).body, { interval: 30, mode: 'eco' });
    const server = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/server`, { token, body: { secretNote: 'x' } });
    assert.equal(server.status, 200);
    await client.publishAsync('v1/devices/me/attributes', JSON.stringify({ fw: '2.0' }), { qos: 1 });

    const response = nextMessage(client, (t) => t === 'v1/devices/me/attributes/response/7');
    await client.publishAsync('v1/devices/me/attributes/request/7', JSON.stringify({ clientKeys: 'fw', sharedKeys: 'interval,mode,secretNote' }), { qos: 1 });
    assert.deepEqual((await response).body, { client: { fw: '2.0' }, shared: { interval: 30, mode: 'eco' } });
    const all = nextMessage(client, (t) => t === 'v2/a/res/8');
    await client.publishAsync('v2/a/req/8', '{}', { qos: 1 });
    assert.deepEqual((await all).body, { client: { fw: '2.0' }, shared: { interval: 30, mode: 'eco' } });

    const deleted = nextMessage(client, (t) => t === 'v1/devices/me/attributes');
    const del = await request(vigil.http, 'DELETE', `/api/v1/devices/${device.id}/attributes/shared?keys=mode`, { token });
    assert.deepEqual(del.body, { deleted: ['mode'] });
    assert.deepEqual((await deleted).body, { deleted: ['mode'] });
    await client.endAsync();
  });

  test('MQTT 3.1.1 persistent session - a shared update made while the device was offline arrives on reconnect', async () => {
    const device = await createDevice(vigil.http, token, 'attr-offline');
    const opts = { clientId: 'sleepy-1', clean: false };
    const first = await connect(vigil.mqttPort, device.accessToken, 4, opts);
    await first.subscribeAsync('v1/devices/me/attributes', { qos: 1 });
    await first.endAsync();
    await waitFor(async () => vigil.app.mqtt.connectedSessions(device.id) === 0, 'device offline');
    await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { targetTemp: 21.5 } });
    const again = mqtt.connect(`mqtt://127.0.0.1:${vigil.mqttPort}`, { username: device.accessToken, reconnectPeriod: 0, ...opts });
    const update = await nextMessage(again, (t) => t === 'v1/devices/me/attributes');
    assert.deepEqual(update.body, { targetTemp: 21.5 });
    await again.endAsync();
  });

  test('HTTP (curl) - client attributes, attribute read, long poll for shared updates', { skip: skipUnlessCi(hasCurl) }, async () => {
    const device = await createDevice(vigil.http, token, 'attr-http');
    const base = `${vigil.http}/api/v1/${device.accessToken}`;
    const post = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-d', '{"fw":"3.0"}', `${base}/attributes`]);
    assert.equal(post.stdout, '200');
    await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { interval: 5 } });
    const read = await run('curl', ['-s', `${base}/attributes?clientKeys=fw&sharedKeys=interval`]);
    assert.deepEqual(JSON.parse(read.stdout), { client: { fw: '3.0' }, shared: { interval: 5 } });
    // Python requests (ThingsBoard's HTTP SDK) sends a key list as repeated parameters.
    const repeated = await request(vigil.http, 'GET', `/api/v1/${device.accessToken}/attributes?sharedKeys=interval&sharedKeys=nope`);
    assert.deepEqual(repeated.body, { shared: { interval: 5 } });

    const poll = run('curl', ['-s', '-w', '\n%{http_code}', `${base}/attributes/updates?timeout=20000`], { timeout: 30_000 });
    // Set again until the poll has picked it up (the poll may start after the first set).
    let n = 0;
    const sets: Promise<unknown>[] = [];
    const setter = setInterval(() => sets.push(request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { interval: 10 + n++ } })), 300);
    const { stdout } = await poll.finally(() => clearInterval(setter));
    await Promise.all(sets); // a set still in flight would answer the short poll below
    const [body, code] = stdout.trim().split('\n');
    assert.equal(code, '200');
    assert.ok(typeof JSON.parse(body!).interval === 'number');
    const timeout = await request(vigil.http, 'GET', `/api/v1/${device.accessToken}/attributes/updates?timeout=50`);
    assert.equal(timeout.status, 408);
  });

  test('RPC - two-way command to a connected mqtt.js device returns its reply; the call is stored as succeeded', async () => {
    const device = await createDevice(vigil.http, token, 'rpc-live');
    const client = await connect(vigil.mqttPort, device.accessToken);
    await client.subscribeAsync('v1/devices/me/rpc/request/+', { qos: 1 });
    client.on('message', (topic, payload) => {
      const id = topic.split('/').pop();
      const req = JSON.parse(payload.toString());
      void client.publishAsync(`v1/devices/me/rpc/response/${id}`, JSON.stringify({ pin: req.params.pin, state: 'on' }), { qos: 1 });
    });
    const res = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'setGpio', params: { pin: 4 }, timeoutMs: 20_000 } });
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'succeeded');
    assert.deepEqual(res.body.response, { pin: 4, state: 'on' });
    const listed = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/rpc?status=succeeded`, { token });
    assert.equal(listed.body.items[0].id, res.body.id);
    await client.endAsync();
  });

  test('RPC - a persistent command to an offline device waits, is delivered when it subscribes again, and its reply is kept', async () => {
    const device = await createDevice(vigil.http, token, 'rpc-sleepy');
    const sent = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'reboot', params: { delayS: 1 }, persistent: true, timeoutMs: 60_000 } });
    assert.equal(sent.status, 202);
    assert.equal(sent.body.status, 'queued');
    const client = await connect(vigil.mqttPort, device.accessToken, 5);
    const command = nextMessage(client, (t) => t.startsWith('v1/devices/me/rpc/request/'));
    await client.subscribeAsync('v1/devices/me/rpc/request/+', { qos: 1 });
    const got = await command;
    assert.equal(got.topic, `v1/devices/me/rpc/request/${sent.body.requestId}`);
    assert.deepEqual(got.body, { method: 'reboot', params: { delayS: 1 } });
    await waitFor(async () => (await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/rpc/${sent.body.id}`, { token })).body.status === 'delivered', 'delivered');
    await client.publishAsync(`v1/devices/me/rpc/response/${sent.body.requestId}`, '"rebooting"', { qos: 1 });
    const final = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/rpc/${sent.body.id}`, { token });
      return r.body.status === 'succeeded' && r.body;
    }, 'succeeded');
    assert.equal(final.response, 'rebooting');
    await client.endAsync();
  });

  test('RPC - a command nobody answers expires (408, status expired); a non-persistent one to an offline device fails at once (409)', async () => {
    const device = await createDevice(vigil.http, token, 'rpc-silent');
    const offline = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'ping', timeoutMs: 300 } });
    assert.equal(offline.status, 409);
    const client = await connect(vigil.mqttPort, device.accessToken); // online, but never answers
    const res = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'ping', timeoutMs: 300 } });
    assert.equal(res.status, 408);
    assert.equal(res.body.details.status, 'expired');
    await client.endAsync();
  });

  test('RPC over HTTP (curl) - long poll gets the command with its id, the reply completes a one-way and a two-way call', { skip: skipUnlessCi(hasCurl) }, async () => {
    const device = await createDevice(vigil.http, token, 'rpc-http');
    const base = `${vigil.http}/api/v1/${device.accessToken}`;
    await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { battery: 90 } }); // online now
    await waitFor(async () => (await request(vigil.http, 'GET', `/api/v1/devices/${device.id}`, { token })).body.status === 'online', 'online');
    const call = request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'getValue', params: { k: 1 }, timeoutMs: 30_000 } });
    const polled = await run('curl', ['-s', `${base}/rpc?timeout=20000`], { timeout: 30_000 });
    const cmd = JSON.parse(polled.stdout);
    assert.equal(cmd.method, 'getValue');
    assert.deepEqual(cmd.params, { k: 1 });
    assert.equal(typeof cmd.id, 'number');
    const replied = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Content-Type: application/json', '-d', '{"value":42}', `${base}/rpc/${cmd.id}`]);
    assert.equal(replied.stdout, '200');
    const outcome = await call;
    assert.equal(outcome.status, 200);
    assert.deepEqual(outcome.body.response, { value: 42 });

    const oneway = request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'blink', oneway: true, timeoutMs: 30_000 } });
    const polled2 = await run('curl', ['-s', `${base}/rpc?timeout=20000`], { timeout: 30_000 });
    assert.equal(JSON.parse(polled2.stdout).method, 'blink');
    assert.equal((await oneway).body.status, 'succeeded');
  });

  test('client-side RPC - getSessionLimits and getTime over MQTT (v1 and v2 topics) and HTTP', async () => {
    const device = await createDevice(vigil.http, token, 'rpc-client');
    const client = await connect(vigil.mqttPort, device.accessToken);
    await client.subscribeAsync(['v1/devices/me/rpc/response/+', 'v2/r/res/+'], { qos: 1 });
    const limits = nextMessage(client, (t) => t === 'v1/devices/me/rpc/response/1');
    await client.publishAsync('v1/devices/me/rpc/request/1', JSON.stringify({ method: 'getSessionLimits', params: {} }), { qos: 1 });
    const body = (await limits).body;
    assert.equal(body.maxPayloadSize, 65536);
    assert.equal(body.maxInflightMessages, 100);
    assert.equal(typeof body.rateLimits.messages, 'string');
    const time = nextMessage(client, (t) => t === 'v2/r/res/2');
    const before = Date.now();
    await client.publishAsync('v2/r/req/2', JSON.stringify({ method: 'getTime', params: {} }), { qos: 1 });
    assert.ok((await time).body.time >= before);
    const unknown = nextMessage(client, (t) => t === 'v1/devices/me/rpc/response/3');
    await client.publishAsync('v1/devices/me/rpc/request/3', JSON.stringify({ method: 'launchRocket', params: {} }), { qos: 1 });
    assert.match((await unknown).body.error, /not supported/);
    await client.endAsync();
    const http = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/rpc`, { body: { method: 'getTime', params: {} } });
    assert.equal(http.status, 200);
    assert.equal(typeof http.body.time, 'number');
  });

  test('Paho (Python) device - requests its shared config on connect and answers a command', { skip: skipUnlessCi(hasPaho) }, async () => {
    const device = await createDevice(vigil.http, token, 'paho-device');
    await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { interval: 60 } });
    const child = run(PYTHON, [join(dir, 'paho_device.py'), '127.0.0.1', String(vigil.mqttPort), device.accessToken], { timeout: 45_000 });
    await waitFor(async () => vigil.app.mqtt.connectedSessions(device.id) > 0, 'paho connected', 20_000);
    const res = await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/rpc`, { token, body: { method: 'echo', params: { x: 1 }, timeoutMs: 30_000 } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.response, { echo: { x: 1 }, attrs: { shared: { interval: 60 } } });
    assert.match((await child).stdout, /ok/);
  });

  test('mosquitto_sub - receives a shared-attribute update', { skip: skipUnlessCi(hasMosquitto) }, async () => {
    const device = await createDevice(vigil.http, token, 'mosq-attr');
    const sub = run('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(vigil.mqttPort), '-u', device.accessToken, '-q', '1', '-C', '1', '-W', '20', '-t', 'v1/devices/me/attributes'], {
      timeout: 25_000,
    });
    await waitFor(async () => {
      if (vigil.app.mqtt.connectedSessions(device.id) === 0) return false;
      await new Promise((r) => setTimeout(r, 200)); // connected; give SUBSCRIBE its turn
      return (await request(vigil.http, 'POST', `/api/v1/devices/${device.id}/attributes/shared`, { token, body: { led: 'on' } })).status === 200;
    }, 'subscribed and set');
    assert.deepEqual(JSON.parse((await sub).stdout), { led: 'on' });
  });

  test('MQTT 3.1.1 - a publish on a topic Vigil does not serve closes the connection instead of a PUBACK', async () => {
    const device = await createDevice(vigil.http, token, 'unsupported-311');
    const client = await connect(vigil.mqttPort, device.accessToken);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish('some/other/topic', '{"a":1}', { qos: 1 });
    await closed;
    const rejected = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token });
    assert.ok(rejected.body.items.some((e: { reason: string }) => e.reason === 'unknown_topic'));
    client.end(true);
  });

  test('MQTT 5 - a QoS 0 publish on a topic Vigil does not serve gets DISCONNECT 0x90 with the reason', async () => {
    const device = await createDevice(vigil.http, token, 'unsupported-v5-qos0');
    const client = await connect(vigil.mqttPort, device.accessToken, 5);
    const disconnect = new Promise<{ reasonCode?: number; properties?: { reasonString?: string } }>((resolve) => client.once('disconnect', resolve));
    client.publish('v1/devices/me/whatever', '{"a":1}', { qos: 0 });
    const packet = await disconnect;
    assert.equal(packet.reasonCode, 0x90);
    assert.match(packet.properties?.reasonString ?? '', /not supported/);
    client.end(true);
  });
});
