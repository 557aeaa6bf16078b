// The CoAP device API (UDP), ThingsBoard-compatible: `POST /api/v1/{token}/telemetry` with a
// ThingsBoard JSON payload (Content-Format absent, text/plain or application/json) or a SenML
// pack (application/senml+json or application/senml+cbor). A confirmable request is answered 2.04 Changed only once
// its points are durable (the library sends an empty ACK first when that takes longer than its
// piggyback window, then the response). Bodies over the cap are refused before reassembly.
import { createServer, type IncomingMessage, type OutgoingMessage, type Server } from 'coap';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:dgram';
import type { DeviceService } from '../../domains/devices/devices.service.js';
import type { IngestService } from '../../domains/telemetry/ingest.service.js';
import type { KeyUnits } from '../../domains/telemetry/key-units.js';
import { acceptSenml, SENML_CBOR_TYPE, SENML_JSON_TYPE } from '../../domains/telemetry/formats/accept-formats.js';
import { PayloadError } from '../../domains/telemetry/payload.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { Block1Intake } from './block1.js';
import { coapDeviceResources, type CoapDeviceApi } from './device-resources.js';

export interface CoapDeps {
  devices: DeviceService;
  ingest: IngestService;
  units: KeyUnits;
  log: Logger;
  maxPayloadBytes: number;
  /** Attributes, commands and claiming over CoAP (device-resources.ts); without it, telemetry only. */
  deviceApi?: CoapDeviceApi;
}

/** CoAP response codes for Vigil's rejection reasons (RFC 7252 §5.9, RFC 8516 for 4.29). */
const CODE_FOR_REASON: Record<string, string> = {
  unauthorized: '4.01',
  too_large: '4.13',
  rate_limited: '4.29',
  quota_exceeded: '4.03',
};
/** Seconds a client should wait before retrying (sent as Max-Age, RFC 8516 §4). */
const RETRY_AFTER_S = 1;
/** ThingsBoard device resources that Vigil does not serve over CoAP yet. */
const NOT_YET = new Set(['firmware', 'software']);
const JSON_FORMATS = new Set([undefined, 'text/plain', 'application/json']);

export interface CoapTransport {
  server: Server;
  listen(port: number, host: string): Promise<number>;
  close(): Promise<void>;
}

function answer(res: OutgoingMessage, code: string, message?: string, maxAgeS?: number): void {
  res.code = code;
  if (maxAgeS !== undefined) res.setOption('Max-Age', maxAgeS);
  res.end(message);
}

export function createCoapTransport(deps: CoapDeps): CoapTransport {
  const server = createServer({ type: 'udp4' });
  new Block1Intake(deps.maxPayloadBytes, (bytes) => {
    deps.ingest.recordRejection(null, 'coap', 'too_large', `CoAP payload of ${bytes} bytes is over ${deps.maxPayloadBytes}`, undefined);
  }).install(server);
  const resources = deps.deviceApi ? coapDeviceResources(deps.deviceApi, answer) : null;
  server.on('request', (req: IncomingMessage, res: OutgoingMessage) => {
    handle(deps, req, res, resources).catch((err) => {
      deps.log.error({ err }, 'coap request failed');
      answer(res, '5.00', 'internal error');
    });
  });
  let listening = false;
  return {
    server,
    listen(port, host) {
      return new Promise((ok, fail) => {
        server.once('error', fail);
        server.listen(port, host, (err?: Error) => {
          if (err) return fail(err);
          server.off('error', fail);
          listening = true;
          // The library can fire a retransmission or a late empty ACK after close(); on a closed
          // socket that would throw out of a timer and end the process.
          const socket = server._sock as Socket;
          const send = socket.send.bind(socket) as (...args: unknown[]) => void;
          socket.send = ((...args: unknown[]) => {
            if (listening) send(...args);
          }) as Socket['send'];
          ok((server._sock as unknown as { address(): AddressInfo }).address().port);
        });
      });
    },
    close() {
      if (!listening) return Promise.resolve();
      listening = false;
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

async function handle(deps: CoapDeps, req: IncomingMessage, res: OutgoingMessage, resources: ReturnType<typeof coapDeviceResources> | null): Promise<void> {
  const path = req.url.split('?')[0]!.replace(/^\/+/, '').split('/');
  if (path[0] !== 'api' || path[1] !== 'v1') return answer(res, '4.04', `no resource /${path.join('/')}`);
  if (path[2] === 'provision' || (path.length === 4 && NOT_YET.has(path[3]!)) || (!resources && path.length >= 4 && path[3] !== 'telemetry')) {
    return answer(res, '5.01', `/${path.join('/')} is not implemented yet in Vigil over CoAP`);
  }
  if (resources && path.length >= 4 && path[3] !== 'telemetry') {
    const device = await deps.devices.authenticate(path[2]!);
    if (!device) {
      deps.ingest.recordRejection(null, 'coap', 'unauthorized', 'unknown or revoked device token', req.payload);
      return answer(res, '4.01', 'unknown or revoked device token');
    }
    if (await resources({ tenantId: device.tenantId, deviceId: device.id }, path.slice(3), req, res)) return;
    return answer(res, '4.04', `no resource /${path.join('/')}`);
  }
  if (path.length !== 4 || path[3] !== 'telemetry') return answer(res, '4.04', `no resource /${path.join('/')}`);
  if (req.method !== 'POST') return answer(res, '4.05', 'telemetry accepts POST');

  const payload = req.payload ?? Buffer.alloc(0);
  const device = await deps.devices.authenticate(path[2]!);
  if (!device) {
    deps.ingest.recordRejection(null, 'coap', 'unauthorized', 'unknown or revoked device token', payload);
    return answer(res, '4.01', 'unknown or revoked device token');
  }
  const identity = { tenantId: device.tenantId, deviceId: device.id };
  const format = req.headers['Content-Format'] as string | undefined;
  try {
    if (format === SENML_JSON_TYPE || format === SENML_CBOR_TYPE) {
      await acceptSenml(deps.ingest, deps.units, identity, 'coap', payload, format === SENML_CBOR_TYPE ? 'cbor' : 'json');
    }
    else if (JSON_FORMATS.has(format)) await deps.ingest.acceptRaw(identity, 'coap', payload);
    else {
      deps.ingest.recordRejection(identity, 'coap', 'invalid_shape', `unsupported Content-Format ${format}`, payload);
      return answer(res, '4.15', `Content-Format ${format} is not supported: send application/json, application/senml+json or application/senml+cbor`);
    }
  } catch (err) {
    if (err instanceof PayloadError) {
      const code = CODE_FOR_REASON[err.reason] ?? '4.00';
      return answer(res, code, err.message, code === '4.29' ? RETRY_AFTER_S : undefined);
    }
    if (err instanceof AppError && err.statusCode === 503) return answer(res, '5.03', err.message, RETRY_AFTER_S);
    throw err;
  }
  answer(res, '2.04');
}
