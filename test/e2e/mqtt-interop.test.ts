// Interoperability with real MQTT clients in both protocol versions: mqtt.js, Eclipse Paho for
// Python (Debian python3-paho-mqtt) and the mosquitto_pub / mosquitto_sub command-line clients,
// over TCP, TLS (a self-signed certificate made with openssl) and WebSocket at /mqtt.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const hasMosquitto = existsSync('/usr/bin/mosquitto_pub') && existsSync('/usr/bin/mosquitto_sub');
const hasPaho = await run(PYTHON, ['-c', 'import paho.mqtt.client']).then(
  () => true,
  () => false,
);
// In CI the clients are installed (.ci/run); a developer machine without them skips those cases.
const skipUnlessCi = (available: boolean) => (available || process.env.CI === 'true' ? false : 'client not installed');

const PAHO_SCRIPT = `
import sys, json, time, threading
import paho.mqtt.client as mqtt
host, port, token, version, transport, ca, key = sys.argv[1:8]
proto = mqtt.MQTTv5 if version == '5' else mqtt.MQTTv311
c = mqtt.Client(client_id='paho-' + version + '-' + transport + ('-tls' if ca else ''), protocol=proto, transport=transport)
if transport == 'websockets':
    c.ws_set_options(path='/mqtt')
if ca:
    c.tls_set(ca_certs=ca)
c.username_pw_set(token)
connected = threading.Event()
result = {}
def on_connect(client, userdata, flags, rc, properties=None):
    result['rc'] = int(rc if isinstance(rc, int) else rc.value)
    connected.set()
c.on_connect = on_connect
c.connect(host, int(port), keepalive=30)
c.loop_start()
if not connected.wait(15) or result['rc'] != 0:
    print('connect failed', result); sys.exit(2)
info = c.publish('v1/devices/me/telemetry', json.dumps({key: 1}), qos=1)
info.wait_for_publish(15)
if not info.is_published():
    print('no PUBACK'); sys.exit(3)
c.disconnect(); c.loop_stop()
print('ok')
`;

describe('MQTT interoperability', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };
  let dir: string;
  let tlsPort: number;
  let wsUrl: string;

  before(async () => {
    dir = await tempDir('vigil-tls-');
    await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    await writeFile(join(dir, 'vigil_paho_client.py'), PAHO_SCRIPT);
    vigil = await startVigil({
      VIGIL_MQTT_TLS_CERT_PATH: join(dir, 'cert.pem'),
      VIGIL_MQTT_TLS_KEY_PATH: join(dir, 'key.pem'),
      VIGIL_MQTT_TLS_PORT: '0',
    });
    tlsPort = (vigil.app.mqtt.tlsServer!.address() as AddressInfo).port;
    wsUrl = `${vigil.http.replace('http', 'ws')}/mqtt`;
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'interop');
  });
  after(async () => {
    await vigil.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function stored(key: string): Promise<void> {
    await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=${key}`, { token });
      return r.body.data[key];
    }, `point ${key} stored`);
  }

  for (const version of [4, 5] as const) {
    for (const transport of ['tcp', 'tls', 'ws'] as const) {
      test(`mqtt.js v${version} over ${transport}`, async () => {
        const url = transport === 'tcp' ? `mqtt://127.0.0.1:${vigil.mqttPort}` : transport === 'tls' ? `mqtts://127.0.0.1:${tlsPort}` : wsUrl;
        const ca = await readFile(join(dir, 'cert.pem'));
        const client = await mqtt.connectAsync(url, { username: device.accessToken, protocolVersion: version, reconnectPeriod: 0, ca, connectTimeout: 15_000 });
        const key = `mqttjs_v${version}_${transport}`;
        await client.publishAsync('v1/devices/me/telemetry', JSON.stringify({ [key]: 1 }), { qos: 1 });
        await stored(key);
        await client.endAsync();
      });

      test(`paho v${version} over ${transport}`, { skip: skipUnlessCi(hasPaho) }, async () => {
        const key = `paho_v${version}_${transport}`;
        const port = transport === 'tls' ? tlsPort : transport === 'ws' ? Number(new URL(vigil.http).port) : vigil.mqttPort;
        const { stdout } = await run(
          PYTHON,
          [join(dir, 'vigil_paho_client.py'), '127.0.0.1', String(port), device.accessToken, String(version), transport === 'ws' ? 'websockets' : 'tcp', transport === 'tls' ? join(dir, 'cert.pem') : '', key],
          { timeout: 30_000 },
        );
        assert.match(stdout, /ok/);
        await stored(key);
      });
    }

    for (const transport of ['tcp', 'tls'] as const) {
      // The mosquitto command-line clients speak no WebSocket.
      test(`mosquitto_pub / mosquitto_sub -V ${version === 5 ? 'mqttv5' : 'mqttv311'} over ${transport}`, { skip: skipUnlessCi(hasMosquitto) }, async () => {
        const v = version === 5 ? 'mqttv5' : 'mqttv311';
        const conn = ['-h', '127.0.0.1', '-p', String(transport === 'tls' ? tlsPort : vigil.mqttPort), '-u', device.accessToken, '-V', v];
        if (transport === 'tls') conn.push('--cafile', join(dir, 'cert.pem'));
        const key = `mosquitto_v${version}_${transport}`;
        await run('mosquitto_pub', [...conn, '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', JSON.stringify({ [key]: 1 })], { timeout: 20_000 });
        await stored(key);

        const sub = run('mosquitto_sub', [...conn, '-i', `sub-${key}`, '-q', '1', '-C', '1', '-W', '20', '-v', '-t', 'v1/devices/me/rpc/request/+'], { timeout: 25_000 });
        const payload = JSON.stringify({ method: 'blink', params: { key } });
        await waitFor(async () => vigil.app.mqtt.sendToDevice(device.id, 'v1/devices/me/rpc/request/5', payload, { qos: 1 }).sent > 0, 'subscribed');
        const { stdout } = await sub;
        assert.equal(stdout.trim(), `v1/devices/me/rpc/request/5 ${payload}`);
      });
    }
  }

  test('mosquitto_pub -V mqttv5: a bad payload is refused with 0x99 (payload format invalid)', { skip: skipUnlessCi(hasMosquitto) }, async () => {
    const result = await run(
      'mosquitto_pub',
      ['-h', '127.0.0.1', '-p', String(vigil.mqttPort), '-u', device.accessToken, '-V', 'mqttv5', '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"broken"'],
      { timeout: 20_000 },
    ).then(
      (ok) => ok,
      (err: { stdout: string; stderr: string }) => err,
    );
    assert.match(result.stdout + result.stderr, /payload format invalid/i);
  });
});
