// The CoAP device API beyond telemetry, as ThingsBoard's CoAP transport serves it:
//   POST /api/v1/{token}/attributes          client attributes
//   GET  /api/v1/{token}/attributes?clientKeys=&sharedKeys=   read; with Observe: shared-attribute updates
//   GET  /api/v1/{token}/rpc (Observe)       commands pushed as {"id","method","params"}
//   POST /api/v1/{token}/rpc/{id}            reply to a command
//   POST /api/v1/{token}/rpc                 call the server (getTime, getSessionLimits)
//   POST /api/v1/{token}/claim               open a claim window
// An observation counts as a session of the device (presence), so commands that are not
// persistent may be sent to it, and it ends when the client cancels or the device is disabled.
import type { IncomingMessage, OutgoingMessage } from 'coap';
import type { Writable } from 'node:stream';
import { parseJsonBody, parseKeyList, type AttributeService } from '../../domains/device-api/attributes.service.js';
import type { ProvisioningService } from '../../domains/device-api/provisioning.service.js';
import type { RpcService } from '../../domains/device-api/rpc.service.js';
import type { DeviceService } from '../../domains/devices/devices.service.js';
import type { PresenceTracker } from '../../domains/devices/presence.js';
import { AppError } from '../../errors.js';

export interface CoapDeviceApi {
  attributes: AttributeService;
  rpc: RpcService;
  provisioning: ProvisioningService;
  presence: PresenceTracker;
  devices: DeviceService;
}

type Answer = (res: OutgoingMessage, code: string, message?: string) => void;
interface Device {
  tenantId: string;
  deviceId: string;
}

/** Open observations per device: shared attributes and commands. */
class Observers {
  private readonly byDevice = new Map<string, Set<Writable>>();

  add(device: Device, stream: Writable, presence: PresenceTracker): void {
    let set = this.byDevice.get(device.deviceId);
    if (!set) this.byDevice.set(device.deviceId, (set = new Set()));
    set.add(stream);
    presence.connected(device.tenantId, device.deviceId);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      set!.delete(stream);
      if (set!.size === 0 && this.byDevice.get(device.deviceId) === set) this.byDevice.delete(device.deviceId);
      presence.disconnected(device.deviceId);
    };
    stream.once('finish', end);
    stream.once('close', end);
    stream.once('error', end);
  }

  of(deviceId: string): Set<Writable> {
    return this.byDevice.get(deviceId) ?? new Set();
  }

  /** Ends the device's observations (credentials revoked, device disabled or deleted). */
  end(deviceId: string): void {
    for (const stream of [...this.of(deviceId)]) stream.end();
  }
}

export function coapDeviceResources(api: CoapDeviceApi, answer: Answer) {
  const attributeObservers = new Observers();
  const rpcObservers = new Observers();
  api.attributes.onSharedUpdate((device, update) => {
    for (const stream of attributeObservers.of(device.deviceId)) stream.write(JSON.stringify(update));
  });
  api.rpc.useChannel((call, onAcked) => {
    const streams = rpcObservers.of(call.deviceId);
    if (streams.size === 0) return false;
    for (const stream of streams) stream.write(JSON.stringify({ id: call.requestId, method: call.method, params: call.params }));
    onAcked(); // an observe notification is the delivery CoAP offers
    return true;
  });
  const endAll = (deviceId: string) => {
    attributeObservers.end(deviceId);
    rpcObservers.end(deviceId);
  };
  api.devices.onCredentialsRevoked(endAll);
  api.devices.onDeviceDeleted((_tenantId, deviceId) => endAll(deviceId));

  const body = (req: IncomingMessage): unknown => (req.payload && req.payload.length > 0 ? parseJsonBody(req.payload) : {});
  const query = (req: IncomingMessage) => new URLSearchParams(req.url.split('?')[1] ?? '');
  const observing = (req: IncomingMessage) => req.headers.Observe === 0;

  /** Serves one request for a resource other than telemetry; false when the path is not one. */
  return async function serve(device: Device, resource: string[], req: IncomingMessage, res: OutgoingMessage): Promise<boolean> {
    const [name, id, ...rest] = resource;
    if (rest.length > 0) return false;
    try {
      if (name === 'attributes' && id === undefined) {
        if (req.method === 'POST') {
          await api.attributes.report(device, body(req));
          answer(res, '2.04');
        } else if (req.method === 'GET') {
          const q = query(req);
          const current = await api.attributes.request(device, { clientKeys: parseKeyList(q.get('clientKeys') ?? undefined), sharedKeys: parseKeyList(q.get('sharedKeys') ?? undefined) });
          if (observing(req)) {
            attributeObservers.add(device, res as unknown as Writable, api.presence);
            res.code = '2.05';
            res.write(JSON.stringify(current.shared ?? {})); // the first notification: the shared attributes now
          } else {
            res.code = '2.05';
            res.end(JSON.stringify(current));
          }
        } else answer(res, '4.05', 'attributes accepts GET and POST');
        return true;
      }
      if (name === 'rpc' && id === undefined) {
        if (req.method === 'GET') {
          if (!observing(req)) return answer(res, '4.00', 'observe this resource (Observe: 0) to receive commands'), true;
          rpcObservers.add(device, res as unknown as Writable, api.presence);
          res.code = '2.05';
          res.write(''); // registered; commands follow as notifications
          void api.rpc.deliverPending(device.deviceId).catch(() => undefined);
        } else if (req.method === 'POST') {
          const call = body(req) as { method?: unknown } | null;
          if (typeof call !== 'object' || call === null || typeof call.method !== 'string') return answer(res, '4.00', 'body must be {"method": "...", "params": {...}}'), true;
          res.code = '2.05';
          res.end(JSON.stringify(api.rpc.answerDeviceCall(call.method)));
        } else answer(res, '4.05', 'rpc accepts GET (Observe) and POST');
        return true;
      }
      if (name === 'rpc' && id !== undefined) {
        if (req.method !== 'POST') return answer(res, '4.05', 'a command reply is a POST'), true;
        if (!/^\d{1,10}$/.test(id)) return answer(res, '4.00', 'the id must be the integer id the command came with'), true;
        const reply = req.payload && req.payload.length > 0 ? parseJsonBody(req.payload) : null;
        const call = await api.rpc.respond(device, Number(id), reply);
        if (!call) return answer(res, '4.04', 'no command waiting for a reply with this id'), true;
        answer(res, '2.04');
        return true;
      }
      if (name === 'claim' && id === undefined) {
        if (req.method !== 'POST') return answer(res, '4.05', 'claim is a POST'), true;
        await api.provisioning.allowClaim(device, body(req));
        answer(res, '2.04');
        return true;
      }
    } catch (err) {
      if (err instanceof AppError && err.statusCode < 500) return answer(res, '4.00', err.message), true;
      throw err;
    }
    return false;
  };
}
