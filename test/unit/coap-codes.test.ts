// CoAP answers for the failures a device must tell apart: 5.03 (storage down: retry later,
// data not taken) and 4.29 (over its rate), each with Max-Age as the retry hint.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as coapRequest, type IncomingMessage } from 'coap';
import { createCoapTransport, type CoapTransport } from '../../src/transports/coap/coap-server.js';
import { IngestService } from '../../src/domains/telemetry/ingest.service.js';
import { RejectedLog } from '../../src/domains/telemetry/rejected-log.js';
import { KeyUnits } from '../../src/domains/telemetry/key-units.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Bus } from '../../src/ports/bus.js';
import type { DeviceService } from '../../src/domains/devices/devices.service.js';
import type { KeyUnitsStore } from '../../src/ports/key-units-store.js';

const log = createLogger('silent');
const devices = { authenticate: async (token: string) => (token === 'ok' ? { id: 'd', tenantId: 't' } : null) } as unknown as DeviceService;
const noUnits = { setUnits: async () => undefined, units: async () => new Map() } as unknown as KeyUnitsStore;

function post(port: number, path: string, payload: string): Promise<{ code: string; maxAge: unknown }> {
  return new Promise((resolve, reject) => {
    const req = coapRequest({ hostname: '127.0.0.1', port, pathname: path, method: 'POST' });
    req.on('response', (res: IncomingMessage & { code: string }) => resolve({ code: res.code, maxAge: res.headers['Max-Age'] }));
    req.on('error', reject);
    req.end(payload);
  });
}

describe('CoAP answers for storage failure and rate limits', () => {
  let storageDown = false;
  let transport: CoapTransport;
  let port: number;

  before(async () => {
    const bus = {
      publish: async () => {
        if (storageDown) throw new Error('EIO: disk gone');
        return 1;
      },
    } as unknown as Bus;
    const ingest = new IngestService(bus, new RejectedLog(10), createMetrics(), log, { maxFutureSkewMs: 60_000, deviceRateLimitPerSec: 1 });
    transport = createCoapTransport({ devices, ingest, units: new KeyUnits(noUnits, log), log, maxPayloadBytes: 1024 });
    port = await transport.listen(0, '127.0.0.1');
  });
  after(async () => transport.close());

  test('storage unavailable: 5.03 with Max-Age, so the device keeps its data and retries', async () => {
    storageDown = true;
    try {
      assert.deepEqual(await post(port, '/api/v1/ok/telemetry', '{"a":1}'), { code: '5.03', maxAge: 1 });
    } finally {
      storageDown = false;
    }
  });

  test('over the per-device rate: 4.29 with Max-Age', async () => {
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) codes.push((await post(port, '/api/v1/ok/telemetry', '{"a":1}')).code);
    assert.ok(codes.includes('4.29'), codes.join(' '));
  });
});
