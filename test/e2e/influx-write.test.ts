// The InfluxDB v2 write endpoint with a real Influx client library and with the exact request
// Telegraf's outputs.influxdb_v2 sends (gzip body, Token auth, no precision = ns).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { InfluxDB, Point, HttpError, setLogger } from '@influxdata/influxdb-client';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

// The client logs every failed write to the console; the tests assert on them instead.
setLogger({ error: () => {}, warn: () => {} });

describe('InfluxDB v2 write endpoint', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'influx-host');
  });
  after(async () => vigil.stop());

  async function latest(key: string) {
    return waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=${encodeURIComponent(key)}`, { token });
      return r.body.data[key] ?? null;
    }, `latest ${key}`);
  }

  test('the official Influx client writes points that the query API returns', async () => {
    const ts = Date.now() - 5000;
    const writeApi = new InfluxDB({ url: vigil.http, token: device.accessToken }).getWriteApi('my-org', 'my-bucket', 'ms', {
      maxRetries: 0,
    });
    writeApi.writePoint(new Point('env').tag('room', 'lab').floatField('temp', 21.25).intField('count', 7).booleanField('door', true).timestamp(ts));
    writeApi.writePoint(new Point('env').stringField('note', 'hello, "world"').timestamp(ts));
    // Enough points to pass the client's gzip threshold, so its compressed path is exercised too.
    for (let i = 0; i < 200; i++) writeApi.writePoint(new Point('series').floatField('v', i).timestamp(ts - 200_000 + i * 1000));
    await writeApi.close();
    assert.deepEqual(await latest('env.temp{room=lab}'), { ts, value: 21.25 });
    assert.equal((await latest('env.count{room=lab}')).value, 7);
    assert.equal((await latest('env.door{room=lab}')).value, true);
    assert.equal((await latest('env.note')).value, 'hello, "world"');
    const raw = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=series.v&from=${ts - 300_000}&to=${ts}&limit=1000`, { token });
      return r.body.data['series.v']?.length === 200 ? r.body.data['series.v'] : null;
    }, '200 series points');
    assert.equal(raw[199].value, 199);
  });

  test("Telegraf's exact request (gzip, Token, no precision) is stored with nanosecond timestamps", async () => {
    const tsNs = BigInt(Date.now() - 10_000) * 1_000_000n + 123_456n;
    const body =
      `cpu,cpu=cpu-total,host=edge-1 usage_user=12.5,usage_system=3.25 ${tsNs}\n` +
      `mem,host=edge-1 used=1234567i,available_percent=61.2 ${tsNs}\n` +
      `system,host=edge-1 uptime=86400u,load1=0.42 ${tsNs}\n`;
    const res = await fetch(`${vigil.http}/api/v2/write?bucket=telegraf&org=acme`, {
      method: 'POST',
      headers: {
        'User-Agent': 'Telegraf/1.32.0 Go/1.23.2',
        Authorization: `Token ${device.accessToken}`,
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Encoding': 'gzip',
      },
      body: gzipSync(body),
    });
    assert.equal(res.status, 204, await res.text());
    const tsMs = Number(tsNs / 1_000_000n);
    assert.deepEqual(await latest('cpu.usage_user{cpu=cpu-total;host=edge-1}'), { ts: tsMs, value: 12.5 });
    assert.equal((await latest('mem.used{host=edge-1}')).value, 1234567);
    assert.equal((await latest('system.uptime{host=edge-1}')).value, 86400);
  });

  test('one bad line among good ones: good lines stored, 400 names the line, dead-letter keeps it', async () => {
    const ts = Date.now() - 3000;
    const body = `batch a=1 ${ts}\nbatch a= ${ts}\nbatch b=2 ${ts}\n`;
    const res = await request(vigil.http, 'POST', '/api/v2/write?org=o&bucket=b&precision=ms', {
      raw: body,
      headers: { authorization: `Token ${device.accessToken}`, 'content-type': 'text/plain' },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'invalid');
    assert.equal(res.body.line, 2);
    assert.match(res.body.message, /partial write: 1 line\(s\) rejected, 2 point\(s\) written; line 2: field "a" has an empty value/);
    assert.equal((await latest('batch.a')).value, 1);
    assert.equal((await latest('batch.b')).value, 2);
    const log = await request(vigil.http, 'GET', `/api/v1/ingest/rejected?deviceId=${device.id}`, { token });
    assert.match(log.body.items[0].message, /line 2/);
    assert.equal(log.body.items[0].payloadHead.split('\n')[1], `batch a= ${ts}`);

    // The client library sees the same answer as an HttpError it does not retry.
    const writeApi = new InfluxDB({ url: vigil.http, token: device.accessToken }).getWriteApi('o', 'b', 'ms', { maxRetries: 0 });
    writeApi.writeRecord('bad line without fields');
    await assert.rejects(writeApi.close(), (err: unknown) => err instanceof HttpError && err.statusCode === 400);
  });

  test('Influx-shaped errors: bad token 401, bad precision 400, bad gzip 400, too large 413', async () => {
    const write = (headers: Record<string, string>, body: string | Buffer, query = '') =>
      fetch(`${vigil.http}/api/v2/write?bucket=b${query}`, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body });
    const auth = { authorization: `Token ${device.accessToken}` };

    let res = await write({ authorization: 'Token nope' }, 'm f=1');
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { code: string }).code, 'unauthorized');
    res = await write(auth, 'm f=1', '&precision=h');
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /precision/);
    res = await write({ ...auth, 'content-encoding': 'gzip' }, 'not gzip');
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /gzip/);
    // 5 MB of zeros compresses to a few KB: the decompressed size is what is capped.
    res = await write({ ...auth, 'content-encoding': 'gzip' }, gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20)));
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { code: string }).code, 'request too large');
    res = await write(auth, '');
    assert.equal(res.status, 400);
  });
});
