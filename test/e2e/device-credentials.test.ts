// Device credentials end to end with real clients: MQTT basic credentials (mqtt.js, mosquitto_pub,
// Paho), X.509 certificates issued by the tenant's CA (mosquitto_pub --cert, mqtt.js over TLS,
// Node's https, curl), revocation refused at CONNECT and in the CRL (checked with openssl), a CA
// uploaded by the user (ThingsBoard's certificate chain: CN = device name), and a device's own
// certificate registered by fingerprint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const hasMosquitto = existsSync('/usr/bin/mosquitto_pub');
const hasCurl = existsSync('/usr/bin/curl');
const hasPaho = await run(PYTHON, ['-c', 'import paho.mqtt.client']).then(
  () => true,
  () => false,
);
const skipUnlessCi = (available: boolean) => (available || process.env.CI === 'true' ? false : 'client not installed');

const PAHO_BASIC = `
import sys, paho.mqtt.client as mqtt
host, port, client_id, username, password = sys.argv[1:6]
c = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv311)
c.username_pw_set(username, password or None)
result = {}
def on_connect(client, userdata, flags, rc):
    result['rc'] = rc
    if rc == 0:
        client.publish('v1/devices/me/telemetry', '{"paho_basic": 7}', qos=1)
    else:
        client.disconnect()
def on_publish(client, userdata, mid):
    client.disconnect()
c.on_connect = on_connect
c.on_publish = on_publish
c.connect(host, int(port), keepalive=30)
c.loop_forever()
print(result.get('rc'))
`;

interface Json {
  status: number;
  body: any;
}

describe('device credentials: MQTT basic and X.509', () => {
  let vigil: Running;
  let dir: string;
  let serverCa: string;
  let tlsPort: number;
  let httpsPort: number;
  let token: string;

  /** The management API over HTTPS (the server's certificate is self-signed for the test). */
  function api(method: string, path: string, body?: unknown, client?: { cert: string; key: string }): Promise<Json> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: httpsPort,
          method,
          path,
          ca: serverCa,
          servername: 'localhost',
          ...(client ?? {}),
          headers: { ...(token && !client ? { authorization: `Bearer ${token}` } : {}), ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // PEM and other text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  async function createDevice(name: string): Promise<{ id: string; accessToken: string }> {
    const r = await api('POST', '/api/v1/devices', { name });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  async function latest(deviceId: string, key: string): Promise<unknown> {
    return waitFor(async () => (await api('GET', `/api/v1/devices/${deviceId}/telemetry/latest?keys=${key}`)).body?.data?.[key]?.value, `${key} stored`);
  }

  function connect(options: IClientOptions & { url?: string }): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
      const client = mqtt.connect(options.url ?? `mqtt://127.0.0.1:${vigil.mqttPort}`, { reconnectPeriod: 0, connectTimeout: 10_000, protocolVersion: 4, ...options });
      client.once('connect', () => resolve(client));
      client.once('error', (err) => {
        client.end(true);
        reject(err);
      });
    });
  }

  const refusedWith = (code: number) => (err: { code?: number }) => err.code === code;

  before(async () => {
    dir = await tempDir('vigil-creds-');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.pem'),
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    serverCa = await readFile(join(dir, 'server.pem'), 'utf8');
    await writeFile(join(dir, 'basic.py'), PAHO_BASIC);
    vigil = await startVigil({
      VIGIL_MQTT_TLS_CERT_PATH: join(dir, 'server.pem'),
      VIGIL_MQTT_TLS_KEY_PATH: join(dir, 'server.key'),
      VIGIL_MQTT_TLS_PORT: '0',
      VIGIL_TLS_CERT_FILE: join(dir, 'server.pem'),
      VIGIL_TLS_KEY_FILE: join(dir, 'server.key'),
      VIGIL_TLS_CLIENT_CERTIFICATES: 'true',
    });
    tlsPort = (vigil.app.mqtt.tlsServer!.address() as AddressInfo).port;
    httpsPort = Number(new URL(vigil.http).port);
    token = '';
    const login = await api('POST', '/api/v1/auth/login', { email: 'admin@localhost', password: 'test-password-123' });
    token = login.body.accessToken;
  });
  after(async () => {
    await vigil.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('MQTT basic - client id, username and password: connects and publishes; a wrong password is refused', async () => {
    const device = await createDevice('basic-full');
    const set = await api('PUT', `/api/v1/devices/${device.id}/credentials/mqtt-basic`, { clientId: 'cid-full', username: 'user-full', password: 's3cret-pw' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.deepEqual({ ...set.body, updatedAt: 0 }, { clientId: 'cid-full', username: 'user-full', hasPassword: true, updatedAt: 0 });
    const read = await api('GET', `/api/v1/devices/${device.id}/credentials/mqtt-basic`);
    assert.equal(read.body.password, undefined, 'the password is never shown');

    const client = await connect({ clientId: 'cid-full', username: 'user-full', password: 's3cret-pw' });
    await client.publishAsync('v1/devices/me/telemetry', '{"basic_full": 1}', { qos: 1 });
    assert.equal(await latest(device.id, 'basic_full'), 1);
    await client.endAsync();

    await assert.rejects(connect({ clientId: 'cid-full', username: 'user-full', password: 'wrong' }), refusedWith(5));
    await assert.rejects(connect({ clientId: 'cid-full', username: 'user-full', password: 'wrong', protocolVersion: 5 }), refusedWith(0x87));
  });

  test('MQTT basic - client id alone (mosquitto_pub -i) and username alone (Paho)', { skip: skipUnlessCi(hasMosquitto && hasPaho) }, async () => {
    const byClientId = await createDevice('basic-clientid');
    assert.equal((await api('PUT', `/api/v1/devices/${byClientId.id}/credentials/mqtt-basic`, { clientId: 'only-the-client-id' })).status, 200);
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(vigil.mqttPort), '-i', 'only-the-client-id', '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"by_client_id": 3}']);
    assert.equal(await latest(byClientId.id, 'by_client_id'), 3);

    const byUsername = await createDevice('basic-username');
    assert.equal((await api('PUT', `/api/v1/devices/${byUsername.id}/credentials/mqtt-basic`, { username: 'paho-user', password: 'paho-pass' })).status, 200);
    const { stdout } = await run(PYTHON, [join(dir, 'basic.py'), '127.0.0.1', String(vigil.mqttPort), 'any-client-id', 'paho-user', 'paho-pass']);
    assert.equal(stdout.trim(), '0');
    assert.equal(await latest(byUsername.id, 'paho_basic'), 7);
    const refused = await run(PYTHON, [join(dir, 'basic.py'), '127.0.0.1', String(vigil.mqttPort), 'any-client-id', 'paho-user', 'not-it']);
    assert.equal(refused.stdout.trim(), '5', 'CONNACK 5: not authorized');
  });

  test('MQTT basic - the same client id and username cannot belong to two devices; removing them ends the session', async () => {
    const a = await createDevice('basic-a');
    const b = await createDevice('basic-b');
    assert.equal((await api('PUT', `/api/v1/devices/${a.id}/credentials/mqtt-basic`, { clientId: 'shared-id', username: 'u' })).status, 200);
    assert.equal((await api('PUT', `/api/v1/devices/${b.id}/credentials/mqtt-basic`, { clientId: 'shared-id', username: 'u' })).status, 409);
    assert.equal((await api('PUT', `/api/v1/devices/${b.id}/credentials/mqtt-basic`, {})).status, 400);

    const client = await connect({ clientId: 'shared-id', username: 'u' });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    assert.equal((await api('DELETE', `/api/v1/devices/${a.id}/credentials/mqtt-basic`)).status, 204);
    await closed;
    await assert.rejects(connect({ clientId: 'shared-id', username: 'u' }), refusedWith(5));
  });

  test('X.509 issued by the tenant CA - mosquitto_pub --cert, mqtt.js over TLS and HTTPS with mutual TLS; the key is shown once', { skip: skipUnlessCi(hasMosquitto && hasCurl) }, async () => {
    const device = await createDevice('x509-issued');
    const issued = await api('POST', `/api/v1/devices/${device.id}/certificates`, { validityDays: 30 });
    assert.equal(issued.status, 201, JSON.stringify(issued.body));
    assert.match(issued.body.privateKeyPem, /BEGIN PRIVATE KEY/);
    assert.equal(issued.body.certificate.source, 'issued');
    const listed = await api('GET', `/api/v1/devices/${device.id}/certificates`);
    assert.equal(listed.body.items.length, 1);
    assert.equal(JSON.stringify(listed.body).includes('PRIVATE KEY'), false, 'the key is not kept');
    const ca = await api('GET', '/api/v1/device-ca/certificate');
    assert.equal(ca.body, issued.body.caCertificatePem);
    const [certFile, keyFile, caFile] = [join(dir, 'dev.pem'), join(dir, 'dev.key'), join(dir, 'server-ca.pem')];
    await writeFile(certFile, issued.body.certificatePem);
    await writeFile(keyFile, issued.body.privateKeyPem, { mode: 0o600 });
    await writeFile(caFile, serverCa);
    // The certificate is signed by the tenant CA (openssl agrees).
    await writeFile(join(dir, 'tenant-ca.pem'), ca.body);
    await run('openssl', ['verify', '-CAfile', join(dir, 'tenant-ca.pem'), certFile]);

    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', caFile, '--insecure', '--cert', certFile, '--key', keyFile, '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"x509_mosquitto": 11}']);
    assert.equal(await latest(device.id, 'x509_mosquitto'), 11);

    const client = await connect({ url: `mqtts://127.0.0.1:${tlsPort}`, ca: serverCa, servername: 'localhost', cert: issued.body.certificatePem, key: issued.body.privateKeyPem });
    await client.publishAsync('v1/devices/me/telemetry', '{"x509_mqttjs": 12}', { qos: 1 });
    assert.equal(await latest(device.id, 'x509_mqttjs'), 12);

    const https = await api('POST', '/api/v1/me/telemetry', { x509_https: 13 }, { cert: issued.body.certificatePem, key: issued.body.privateKeyPem });
    assert.equal(https.status, 200, JSON.stringify(https.body));
    assert.equal(await latest(device.id, 'x509_https'), 13);
    const curl = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', caFile, '--cert', certFile, '--key', keyFile, '-H', 'content-type: application/json', '-d', '{"x509_curl": 14}', `https://localhost:${httpsPort}/api/v1/me/telemetry`]);
    assert.equal(curl.stdout, '200');
    assert.equal(await latest(device.id, 'x509_curl'), 14);
    const noCert = await api('POST', '/api/v1/me/telemetry', { x: 1 }, { cert: '', key: '' });
    assert.equal(noCert.status, 401);

    // Revoked: the open session ends, CONNECT is refused, HTTPS answers 401, and the CRL lists it.
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const revoked = await api('POST', `/api/v1/certificates/${issued.body.certificate.fingerprint}/revoke`);
    assert.equal(revoked.status, 200);
    assert.equal(typeof revoked.body.revokedAt, 'number');
    await closed;
    await assert.rejects(
      connect({ url: `mqtts://127.0.0.1:${tlsPort}`, ca: serverCa, servername: 'localhost', cert: issued.body.certificatePem, key: issued.body.privateKeyPem }),
      refusedWith(5),
    );
    await assert.rejects(
      run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', caFile, '--insecure', '--cert', certFile, '--key', keyFile, '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{}']),
    );
    assert.equal((await api('POST', '/api/v1/me/telemetry', { x: 1 }, { cert: issued.body.certificatePem, key: issued.body.privateKeyPem })).status, 401);
    const crl = await api('GET', '/api/v1/device-ca/crl');
    assert.equal(crl.status, 200);
    await writeFile(join(dir, 'crl.pem'), crl.body);
    const text = await run('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-noout', '-text']);
    assert.match(text.stdout.toUpperCase(), new RegExp(issued.body.certificate.serialNumber.toUpperCase()));
    await run('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-noout', '-CAfile', join(dir, 'tenant-ca.pem')]); // signature verifies
    await assert.rejects(run('openssl', ['verify', '-crl_check', '-CAfile', join(dir, 'tenant-ca.pem'), '-CRLfile', join(dir, 'crl.pem'), certFile]), /revoked/);
  });

  test('X.509 chained to an uploaded CA - the CN names the device; unknown names are created only when the CA says so', async () => {
    const known = await createDevice('chained-device');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-keyout', join(dir, 'own-ca.key'), '-out', join(dir, 'own-ca.pem'), '-subj', '/CN=Plant CA/O=ACME', '-addext', 'basicConstraints=critical,CA:TRUE']);
    const signLeaf = async (cn: string, caName = 'own-ca') => {
      await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${cn}.key`), '-out', join(dir, `${cn}.csr`), '-subj', `/CN=${cn}`]);
      await run('openssl', ['x509', '-req', '-in', join(dir, `${cn}.csr`), '-CA', join(dir, `${caName}.pem`), '-CAkey', join(dir, `${caName}.key`), '-CAcreateserial', '-days', '1', '-out', join(dir, `${cn}.pem`)]);
      return { cert: await readFile(join(dir, `${cn}.pem`), 'utf8'), key: await readFile(join(dir, `${cn}.key`), 'utf8') };
    };
    const leaf = await signLeaf('chained-device');
    const tls = (c: { cert: string; key: string }) => ({ url: `mqtts://127.0.0.1:${tlsPort}`, ca: serverCa, servername: 'localhost', ...c });

    await assert.rejects(connect(tls(leaf)), refusedWith(5), 'not trusted before the CA is uploaded');
    const notCa = await api('POST', '/api/v1/device-cas', { name: 'leaf', certificatePem: leaf.cert });
    assert.equal(notCa.status, 400);
    const uploaded = await api('POST', '/api/v1/device-cas', { name: 'plant', certificatePem: await readFile(join(dir, 'own-ca.pem'), 'utf8') });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));

    const client = await connect(tls(leaf));
    await client.publishAsync('v1/devices/me/telemetry', '{"chained": 21}', { qos: 1 });
    assert.equal(await latest(known.id, 'chained'), 21);
    await client.endAsync();
    const certs = await api('GET', `/api/v1/devices/${known.id}/certificates`);
    assert.equal(certs.body.items[0].source, 'chained', 'recorded at first sight, so it can be revoked');

    const stranger = await signLeaf('not-a-device');
    await assert.rejects(connect(tls(stranger)), refusedWith(5), 'no device by that name, and the CA does not create devices');

    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-keyout', join(dir, 'auto-ca.key'), '-out', join(dir, 'auto-ca.pem'), '-subj', '/CN=Auto CA', '-addext', 'basicConstraints=critical,CA:TRUE']);
    const auto = await api('POST', '/api/v1/device-cas', { name: 'auto', certificatePem: await readFile(join(dir, 'auto-ca.pem'), 'utf8'), createDevices: true, deviceType: 'meter' });
    assert.equal(auto.status, 201);
    const newcomer = await signLeaf('meter-42', 'auto-ca');
    const c2 = await connect(tls(newcomer));
    await c2.endAsync();
    const devices = await api('GET', '/api/v1/devices?name=meter-42');
    assert.equal(devices.body.items.length, 1);
    assert.equal(devices.body.items[0].type, 'meter');

    const stillOn = await connect(tls(leaf));
    const endedWithCa = new Promise<void>((resolve) => stillOn.once('close', () => resolve()));
    assert.equal((await api('DELETE', `/api/v1/device-cas/${uploaded.body.id}`)).status, 204);
    await endedWithCa;
    await assert.rejects(connect(tls(leaf)), refusedWith(5), 'a certificate seen before is refused once its CA is no longer trusted');
    const another = await signLeaf('chained-device-2');
    await createDevice('chained-device-2');
    await assert.rejects(connect(tls(another)), refusedWith(5), 'the CA is no longer trusted');
  });

  test("X.509 - a device's own certificate registered by fingerprint", { skip: skipUnlessCi(hasMosquitto) }, async () => {
    const device = await createDevice('x509-own');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-keyout', join(dir, 'own.key'), '-out', join(dir, 'own.pem'), '-subj', '/CN=whatever']);
    const registered = await api('POST', `/api/v1/devices/${device.id}/certificates/register`, { certificatePem: await readFile(join(dir, 'own.pem'), 'utf8') });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    assert.equal((await api('POST', `/api/v1/devices/${device.id}/certificates/register`, { certificatePem: await readFile(join(dir, 'own.pem'), 'utf8') })).status, 409);
    assert.equal((await api('POST', `/api/v1/devices/${device.id}/certificates/register`, { certificatePem: 'not a certificate' })).status, 400);
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', join(dir, 'server.pem'), '--insecure', '--cert', join(dir, 'own.pem'), '--key', join(dir, 'own.key'), '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"own_cert": 31}']);
    assert.equal(await latest(device.id, 'own_cert'), 31);
  });
  test('provisioning - a device chooses MQTT basic credentials or its own certificate, then connects with them', { skip: skipUnlessCi(hasMosquitto) }, async () => {
    const profile = await api('POST', '/api/v1/provisioning/profiles', { name: 'sensor', strategy: 'allow_new' });
    assert.equal(profile.status, 201);
    const keys = { provisionDeviceKey: profile.body.provisionKey, provisionDeviceSecret: profile.body.provisionSecret };

    const basic = await api('POST', '/api/v1/provision', { ...keys, deviceName: 'prov-basic', credentialsType: 'MQTT_BASIC', clientId: 'prov-cid', username: 'prov-user', password: 'prov-pass' });
    assert.equal(basic.body.status, 'SUCCESS', JSON.stringify(basic.body));
    assert.deepEqual(basic.body.credentialsValue, { clientId: 'prov-cid', userName: 'prov-user', password: 'prov-pass' });
    const client = await connect({ clientId: 'prov-cid', username: 'prov-user', password: 'prov-pass' });
    await client.publishAsync('v1/devices/me/telemetry', '{"provisioned_basic": 41}', { qos: 1 });
    assert.equal(await latest(basic.body.deviceId, 'provisioned_basic'), 41);
    await client.endAsync();
    const taken = await api('POST', '/api/v1/provision', { ...keys, deviceName: 'prov-basic-2', credentialsType: 'MQTT_BASIC', clientId: 'prov-cid', username: 'prov-user' });
    assert.deepEqual([taken.body.status, /another device/.test(taken.body.errorMsg)], ['FAILURE', true]);
    assert.equal((await api('GET', '/api/v1/devices?name=prov-basic-2')).body.total, 0, 'a refused choice creates no device');

    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-keyout', join(dir, 'prov.key'), '-out', join(dir, 'prov.pem'), '-subj', '/CN=prov-x509']);
    const pem = await readFile(join(dir, 'prov.pem'), 'utf8');
    const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''); // ThingsBoard samples send the PEM body
    const x509 = await api('POST', '/api/v1/provision', { ...keys, deviceName: 'prov-x509', credentialsType: 'X509_CERTIFICATE', hash: body });
    assert.equal(x509.body.status, 'SUCCESS', JSON.stringify(x509.body));
    assert.equal(x509.body.credentialsType, 'X509_CERTIFICATE');
    assert.match(x509.body.credentialsId, /^[0-9a-f]{64}$/);
    await run('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(tlsPort), '--cafile', join(dir, 'server.pem'), '--insecure', '--cert', join(dir, 'prov.pem'), '--key', join(dir, 'prov.key'), '-q', '1', '-t', 'v1/devices/me/telemetry', '-m', '{"provisioned_x509": 42}']);
    assert.equal(await latest(x509.body.deviceId, 'provisioned_x509'), 42);
    const bad = await api('POST', '/api/v1/provision', { ...keys, deviceName: 'prov-bad', credentialsType: 'X509_CERTIFICATE', hash: 'bm90IGEgY2VydA==' });
    assert.equal(bad.body.status, 'FAILURE');
  });
});
