// The CoAP device API with the coap library's client and with libcoap's coap-client, as devices
// would use them: JSON and SenML, Block1 transfers, the cap, and each error's CoAP code.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request as coapRequest, type IncomingMessage } from 'coap';
import cbor from 'cbor';
import { createDevice, login, request, startVigil, tempDir, waitFor, type Running } from '../helpers/harness.js';

const run = promisify(execFile);
/** Debian's libcoap3-bin installs the client under its TLS flavour's name. */
const COAP_CLIENT = ['coap-client', 'coap-client-notls', 'coap-client-openssl', 'coap-client-gnutls'].find(
  (name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0,
);

interface CoapReply {
  code: string;
  payload: string;
}

function post(port: number, path: string, payload: Buffer | string, options: { format?: string; block1Exp?: number; confirmable?: boolean } = {}): Promise<CoapReply> {
  return new Promise((resolve, reject) => {
    const req = coapRequest({ hostname: '127.0.0.1', port, pathname: path, method: 'POST', confirmable: options.confirmable ?? true });
    if (options.format) req.setOption('Content-Format', options.format);
    if (options.block1Exp !== undefined) req.setOption('Block1', Buffer.of(options.block1Exp));
    req.on('response', (res: IncomingMessage & { code: string }) => resolve({ code: res.code, payload: res.payload.toString() }));
    req.on('error', reject);
    req.end(payload);
  });
}

describe('CoAP device API', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil({ VIGIL_COAP_MAX_PAYLOAD_BYTES: String(16 * 1024) });
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'coap-node');
  });
  after(async () => vigil.stop());

  async function latest(key: string) {
    return waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=${encodeURIComponent(key)}`, { token });
      return r.body.data[key] ?? null;
    }, `latest ${key}`);
  }

  test('library client: confirmable JSON and SenML posts are answered 2.04 and stored', async () => {
    const path = `/api/v1/${device.accessToken}/telemetry`;
    assert.deepEqual(await post(vigil.coapPort, path, '{"temperature":21.5,"on":true}'), { code: '2.04', payload: '' });
    assert.equal((await latest('temperature')).value, 21.5);
    const bt = Math.floor(Date.now() / 1000) - 30;
    const senml = JSON.stringify([{ bn: 'coap/', bt, n: 'pressure', u: 'Pa', v: 101325 }]);
    assert.equal((await post(vigil.coapPort, path, senml, { format: 'application/senml+json' })).code, '2.04');
    assert.deepEqual(await latest('coap/pressure'), { ts: bt * 1000, value: 101325 });
    const keys = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/keys`, { token });
    assert.equal(keys.body.units['coap/pressure'], 'Pa');
    // SenML CBOR (Content-Format 112), integer labels: n=0, u=1, v=2.
    const cborPack = cbor.encode([new Map<number, unknown>([[0, 'coap/flow'], [1, 'm3/s'], [2, 0.25]])]);
    assert.equal((await post(vigil.coapPort, path, cborPack, { format: 'application/senml+cbor' })).code, '2.04');
    assert.equal((await latest('coap/flow')).value, 0.25);
  });

  test('library client: a Block1 transfer of a large batch is reassembled; past the cap it gets 4.13', async () => {
    const path = `/api/v1/${device.accessToken}/telemetry`;
    const start = Date.now() - 600_000;
    const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ ts: start + i * 1000, values: { block: i } })));
    assert.ok(batch.length > 4000 && batch.length < 16 * 1024);
    assert.equal((await post(vigil.coapPort, path, batch, { block1Exp: 6 })).code, '2.04');
    const raw = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=block&from=${start}&to=${start + 99_000}`, { token });
      return r.body.data.block?.length === 100 ? r.body.data.block : null;
    }, '100 block points');
    assert.equal(raw[99].value, 99);

    const huge = JSON.stringify({ big: 'x'.repeat(20 * 1024) });
    const refused = await post(vigil.coapPort, path, huge, { block1Exp: 6 });
    assert.equal(refused.code, '4.13');
    assert.match(refused.payload, /exceeds the 16384-byte limit/);
  });

  test('library client: each bad request gets its CoAP code and bad payloads land in the dead-letter log', async () => {
    const good = `/api/v1/${device.accessToken}/telemetry`;
    assert.equal((await post(vigil.coapPort, '/api/v1/no-such-token/telemetry', '{"a":1}')).code, '4.01');
    const bad = await post(vigil.coapPort, good, '{"a": oops}');
    assert.equal(bad.code, '4.00');
    assert.match(bad.payload, /not valid JSON/);
    assert.equal((await post(vigil.coapPort, good, '[{"n":"x"}]', { format: 'application/senml+json' })).code, '4.00');
    assert.equal((await post(vigil.coapPort, good, 'a', { format: 'application/cbor' })).code, '4.15');
    assert.equal((await post(vigil.coapPort, `/api/v1/${device.accessToken}/firmware`, '{}')).code, '5.01');
    assert.equal((await post(vigil.coapPort, '/api/v1/provision', '{}')).code, '5.01');
    assert.equal((await post(vigil.coapPort, '/nothing/here', '{}')).code, '4.04');
    const log = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token });
    const heads = log.body.items.map((e: { payloadHead: string; transport: string }) => `${e.transport} ${e.payloadHead}`);
    assert.ok(heads.includes('coap {"a": oops}'), JSON.stringify(heads));
    assert.ok(heads.includes('coap [{"n":"x"}]'), JSON.stringify(heads));
  });

  test("libcoap's coap-client posts JSON, SenML and a block-wise file", { skip: COAP_CLIENT ? false : 'libcoap3-bin is not installed (.ci/run installs it)' }, async () => {
    const url = `coap://127.0.0.1:${vigil.coapPort}/api/v1/${device.accessToken}/telemetry`;
    await run(COAP_CLIENT!, ['-m', 'post', '-t', 'application/json', '-e', '{"humidity":44}', '-B', '10', url]);
    assert.equal((await latest('humidity')).value, 44);
    await run(COAP_CLIENT!, ['-m', 'post', '-t', '110', '-e', '[{"n":"lux","u":"lx","v":300}]', '-B', '10', url]);
    assert.equal((await latest('lux')).value, 300);

    const file = join(await tempDir('vigil-coap-'), 'batch.json');
    const start = Date.now() - 300_000;
    await writeFile(file, JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ ts: start + i * 1000, values: { cli: i } }))));
    await run(COAP_CLIENT!, ['-m', 'post', '-t', 'application/json', '-b', '64', '-f', file, '-B', '20', url]);
    const raw = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=cli&from=${start}&to=${start + 49_000}`, { token });
      return r.body.data.cli?.length === 50 ? r.body.data.cli : null;
    }, '50 points sent block-wise');
    assert.equal(raw[49].value, 49);

    const denied = await run(COAP_CLIENT!, ['-m', 'post', '-e', '{"a":1}', '-B', '10', url.replace(device.accessToken, 'wrong')]).then(
      (r) => r.stdout + r.stderr,
      (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
    );
    assert.match(denied, /4\.01/);
  });
});
