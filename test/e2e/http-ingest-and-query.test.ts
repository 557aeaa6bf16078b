import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';

describe('HTTP ingest and queries', () => {
  let vigil: Running;
  let token: string;
  let device: { id: string; accessToken: string };

  before(async () => {
    vigil = await startVigil();
    token = await login(vigil.http);
    device = await createDevice(vigil.http, token, 'boiler-1', { type: 'boiler', labels: { site: 'a' } });
  });
  after(async () => vigil.stop());

  test('every payload form is accepted through the token-in-path route', async () => {
    const base = Date.now() - 60_000;
    const forms = [
      { temperature: 21.5, on: true, mode: 'eco' },
      { ts: base, values: { temperature: 20 } },
      [{ ts: base + 1000, values: { temperature: 20.5 } }, { humidity: 40 }],
    ];
    for (const body of forms) {
      const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.accepted >= 1);
    }
    const latest = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest`, { token });
      return Object.keys(r.body.data).length === 4 ? r.body : null;
    }, 'latest values');
    assert.equal(latest.data.temperature.value, 21.5);
    assert.equal(latest.data.on.value, true);
    assert.equal(latest.data.mode.value, 'eco');
    const keys = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/keys`, { token });
    assert.deepEqual(keys.body.keys, ['humidity', 'mode', 'on', 'temperature']);
  });

  test('bearer and X-API-Key device routes accept a batch of thousands of points', async () => {
    const start = Date.now() - 3_600_000;
    const batch = Array.from({ length: 3000 }, (_, i) => ({ ts: start + i * 1000, values: { pressure: i % 100 } }));
    const res = await request(vigil.http, 'POST', '/api/v1/telemetry', {
      body: batch,
      headers: { authorization: `Bearer ${device.accessToken}` },
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.accepted, 3000);
    const res2 = await request(vigil.http, 'POST', '/api/v1/telemetry', {
      body: { pressure: 1 },
      headers: { 'x-api-key': device.accessToken },
    });
    assert.equal(res2.status, 200);

    const raw = await waitFor(async () => {
      const r = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=pressure&from=${start}&to=${start + 2999_000}&limit=5000`, { token });
      return r.body.data.pressure?.length === 3000 ? r.body : null;
    }, 'raw points stored');
    assert.equal(raw.data.pressure[0].ts, start);
    assert.equal(raw.data.pressure[5].value, 5);

    const iso = new Date(start).toISOString();
    const agg = await request(
      vigil.http,
      'GET',
      `/api/v1/devices/${device.id}/telemetry?keys=pressure&from=${iso}&to=${start + 599_000}&interval=1m&agg=avg,min,max,sum,count`,
      { token },
    );
    assert.equal(agg.status, 200, JSON.stringify(agg.body));
    const windows = agg.body.data.pressure as { ts: number; avg: number; min: number; max: number; count: number; sum: number }[];
    assert.equal(windows.reduce((n, w) => n + w.count, 0), 600);
    for (const w of windows) {
      assert.ok(w.min <= w.avg && w.avg <= w.max);
      assert.ok(Math.abs(w.sum - w.avg * w.count) < 1e-6);
    }
  });

  test('bad input gets a JSON problem with a fitting status and lands in the dead-letter log', async () => {
    const url = `/api/v1/${device.accessToken}/telemetry`;
    const cases: [string | Buffer, number, string][] = [
      ['{"temperature": 21.5', 400, 'INVALID_JSON'],
      ['{"temperature": {"nested": 1}}', 422, 'INVALID_VALUE'],
      ['{"temperature": null}', 422, 'INVALID_VALUE'],
      ['"just a string"', 422, 'INVALID_SHAPE'],
      [JSON.stringify({ ts: Date.now() + 86_400_000, values: { t: 1 } }), 422, 'FUTURE_TIMESTAMP'],
      [JSON.stringify({ ts: 1700000000, values: { t: 1 } }), 422, 'INVALID_TIMESTAMP'],
      ['[]', 422, 'EMPTY'], // ({} is ThingsBoard's connection check: answered 200, see device-attributes-rpc)
    ];
    for (const [raw, status, code] of cases) {
      const res = await request(vigil.http, 'POST', url, { raw });
      assert.equal(res.status, status, `${raw} -> ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, code);
      assert.equal(typeof res.body.message, 'string');
    }
    const unknown = await request(vigil.http, 'POST', '/api/v1/not-a-token/telemetry', { body: { t: 1 } });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'UNAUTHORIZED');

    const rejected = await request(vigil.http, 'GET', '/api/v1/ingest/rejected?limit=50', { token });
    assert.equal(rejected.status, 200);
    const reasons = rejected.body.items.map((e: { reason: string }) => e.reason);
    for (const reason of ['invalid_json', 'invalid_value', 'future_timestamp', 'unauthorized']) assert.ok(reasons.includes(reason), reason);
    const bad = rejected.body.items.find((e: { reason: string }) => e.reason === 'invalid_json');
    assert.equal(bad.deviceId, device.id);
    assert.equal(bad.transport, 'http');
    assert.equal(bad.payloadHead, '{"temperature": 21.5');

    // Nothing of the above was stored.
    const latest = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry/latest?keys=t`, { token });
    assert.deepEqual(latest.body.data, {});
  });

  test('an oversize body is refused with 413', async () => {
    const big = JSON.stringify({ blob: 'x'.repeat(5 * 1024 * 1024) });
    const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { raw: big });
    assert.equal(res.status, 413);
    assert.equal(res.body.error, 'PAYLOAD_TOO_LARGE');
  });

  test('query parameters are validated', async () => {
    const bad = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?from=yesterday`, { token });
    assert.equal(bad.status, 400);
    const badAgg = await request(vigil.http, 'GET', `/api/v1/devices/${device.id}/telemetry?interval=1m&agg=median`, { token });
    assert.equal(badAgg.status, 400);
    const missing = await request(vigil.http, 'GET', '/api/v1/devices/00000000-0000-0000-0000-000000000000/telemetry', { token });
    assert.equal(missing.status, 404);
  });

  test('metrics count accepted and rejected telemetry by transport and reason', async () => {
    const res = await fetch(`${vigil.http}/metrics`);
    const text = await res.text();
    assert.match(text, /vigil_points_accepted_total\{transport="http"\} \d+/);
    assert.match(text, /vigil_ingest_rejected_total\{transport="http",reason="invalid_json"\} 1/);
    assert.match(text, /vigil_ingest_accept_latency_seconds_bucket/);
    assert.match(text, /vigil_http_request_duration_seconds_bucket/);
  });
});
