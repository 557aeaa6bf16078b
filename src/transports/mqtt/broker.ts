// The embedded MQTT broker (Aedes) speaking ThingsBoard's device conventions: username = device
// access token; telemetry on v1/devices/me/telemetry. A QoS 1 PUBACK is sent only after the
// points are durable (Aedes writes PUBACK after authorizePublish calls back). A bad payload is
// dropped and counted with the connection kept; a storage failure closes the connection
// without PUBACK so the device resends.
import { createServer, type Server } from 'node:net';
import { Aedes, type Client } from 'aedes';
import type { DeviceService } from '../../domains/devices/devices.service.js';
import type { PresenceTracker } from '../../domains/devices/presence.js';
import type { DeviceIdentity, IngestService } from '../../domains/telemetry/ingest.service.js';
import { PayloadError } from '../../domains/telemetry/payload.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { mayDeviceSubscribe, TELEMETRY_TOPICS } from './topics.js';

export interface MqttBrokerOptions {
  devices: DeviceService;
  ingest: IngestService;
  presence: PresenceTracker;
  metrics: Metrics;
  log: Logger;
  maxPayloadBytes: number;
}

export interface MqttBroker {
  server: Server;
  broker: Aedes;
  close(): Promise<void>;
}

const identities = new WeakMap<Client, DeviceIdentity>();

function refusal(returnCode: number, message: string): Error {
  return Object.assign(new Error(message), { returnCode });
}

export async function createMqttBroker(o: MqttBrokerOptions): Promise<MqttBroker> {
  const log = o.log.child({ component: 'mqtt' });
  const clientsByDevice = new Map<string, Set<Client>>();
  const broker = await Aedes.createBroker({ heartbeatInterval: 60_000, connectTimeout: 30_000 });

  broker.authenticate = (client, username, _password, callback) => {
    if (!username) return callback(refusal(4, 'empty username: use the device access token') as never, false);
    o.devices.authenticate(username).then(
      (device) => {
        if (!device) {
          o.ingest.recordRejection(null, 'mqtt', 'unauthorized', 'unknown or revoked device token', undefined);
          return callback(refusal(5, 'not authorized') as never, false);
        }
        identities.set(client, { tenantId: device.tenantId, deviceId: device.id });
        callback(null, true);
      },
      (err) => {
        log.error({ err }, 'device authentication failed');
        callback(refusal(3, 'server unavailable') as never, false);
      },
    );
  };

  broker.authorizePublish = (client, packet, callback) => {
    const identity = client ? identities.get(client) : undefined;
    if (!client || !identity) return callback(null);
    if (!TELEMETRY_TOPICS.has(packet.topic)) {
      o.ingest.recordRejection(identity, 'mqtt', 'unknown_topic', `topic ${packet.topic} is not supported`, packet.payload as Buffer);
      return callback(null);
    }
    const payload = packet.payload as Buffer;
    if (payload.length > o.maxPayloadBytes) {
      o.ingest.recordRejection(identity, 'mqtt', 'too_large', `payload of ${payload.length} bytes exceeds ${o.maxPayloadBytes}`, payload);
      return callback(null);
    }
    o.ingest.acceptRaw(identity, 'mqtt', payload).then(
      () => callback(null),
      (err) => {
        // Bad data: acknowledged and dropped (already counted and kept in the dead-letter log),
        // so the device does not resend it forever. Anything else: no PUBACK, the device retries.
        if (err instanceof PayloadError) return callback(null);
        log.error({ err, deviceId: identity.deviceId }, 'telemetry not accepted; closing connection');
        callback(err as Error);
      },
    );
  };

  broker.authorizeSubscribe = (_client, subscription, callback) => {
    if (!mayDeviceSubscribe(subscription.topic)) return callback(null, null as never);
    callback(null, subscription);
  };

  // Devices never receive each other's publishes: server-to-device messages are written to the
  // target client directly.
  broker.authorizeForward = () => null as never;

  broker.on('client', (client) => {
    const identity = identities.get(client);
    if (!identity) return;
    let set = clientsByDevice.get(identity.deviceId);
    if (!set) clientsByDevice.set(identity.deviceId, (set = new Set()));
    set.add(client);
    o.presence.connected(identity.tenantId, identity.deviceId);
    o.metrics.connectedDevices.inc({ transport: 'mqtt' });
  });

  broker.on('clientDisconnect', (client) => {
    const identity = identities.get(client);
    if (!identity) return;
    const set = clientsByDevice.get(identity.deviceId);
    if (set?.delete(client)) {
      if (set.size === 0) clientsByDevice.delete(identity.deviceId);
      o.presence.disconnected(identity.deviceId);
      o.metrics.connectedDevices.dec({ transport: 'mqtt' });
    }
  });

  broker.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  broker.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'connection error'));

  // A rotated or deleted credential ends the device's open sessions at once.
  o.devices.onCredentialsRevoked((deviceId) => {
    for (const client of clientsByDevice.get(deviceId) ?? []) client.close();
  });

  const server = createServer(broker.handle);
  server.on('error', (err) => log.error({ err }, 'mqtt server error'));

  return {
    server,
    broker,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        broker.close(() => undefined);
      }),
  };
}
