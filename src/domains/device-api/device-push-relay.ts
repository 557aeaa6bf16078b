// Server-to-device messages across nodes. A device's MQTT connection is held by one node, but the
// API call that sends it something may reach any node. Each node therefore announces on PubSub
// what it could not deliver itself, and the node holding the device delivers it:
// - a shared-attribute update travels whole (device.shared-attributes): every other node replays
//   it into its AttributeService, whose MQTT listener pushes it if the device is connected there
//   and whose HTTP long polls wake;
// - an RPC call is not copied: the node that could not push it says "calls wait for this device"
//   (device.rpc-waiting) and the others run deliverPending, which reads the calls from the store.
//   That needs a store all nodes share (device state in PostgreSQL); with a node-local store the
//   other nodes find nothing and the call waits until the device connects to the node that has it.
//   When the device answers (on the node holding it), that node says which call finished
//   (device.rpc-settled) and the node whose API caller waits for it reads the answer from the store;
//   without that word the caller would wait until the call's deadline.
// Delivery is at most once per node (PubSub); what must not be lost is in the store already.
import { randomUUID } from 'node:crypto';
import type { PubSub, Unsubscribe } from '../../ports/pubsub.js';
import type { Logger } from '../../observability/logger.js';
import type { AttributeService, DeviceRef, SharedUpdate } from './attributes.service.js';
import type { RpcService } from './rpc.service.js';

export const SHARED_ATTRIBUTES_SUBJECT = 'device.shared-attributes';
export const RPC_WAITING_SUBJECT = 'device.rpc-waiting';
export const RPC_SETTLED_SUBJECT = 'device.rpc-settled';

interface SharedAttributesMessage {
  origin: string;
  device: DeviceRef;
  update: SharedUpdate;
}

interface RpcWaitingMessage {
  origin: string;
  deviceId: string;
}

interface RpcSettledMessage {
  origin: string;
  tenantId: string;
  id: string;
}

export async function relayDevicePushes(
  services: { attributes: AttributeService; rpc: RpcService },
  pubsub: PubSub,
  log: Logger,
): Promise<Unsubscribe> {
  // Redis delivers a node's own messages back to it; the origin tells them apart.
  const origin = randomUUID();
  const encode = (message: object) => Buffer.from(JSON.stringify(message));
  const announce = (subject: string, message: object, what: string) =>
    pubsub.publish(subject, encode(message)).catch((err) => log.warn({ err }, `could not tell the other nodes about ${what}; a device connected there gets it on its next connect`));

  /** Set while an update from another node is replayed here, so it is not announced again. */
  let replayingUpdate = false;
  services.attributes.onSharedUpdate((device, update) => {
    if (replayingUpdate) return;
    void announce(SHARED_ATTRIBUTES_SUBJECT, { origin, device: { tenantId: device.tenantId, deviceId: device.deviceId }, update }, 'a shared-attribute update');
  });
  const stopAttributes = await pubsub.subscribe(SHARED_ATTRIBUTES_SUBJECT, (data) => {
    const message = parse<SharedAttributesMessage>(data);
    if (!message || message.origin === origin) return;
    replayingUpdate = true;
    try {
      services.attributes.sharedUpdateElsewhere(message.device, message.update);
    } finally {
      replayingUpdate = false;
    }
  });

  /** Devices whose waiting calls this node is delivering on another node's word: not announced back. */
  const delivering = new Set<string>();
  // Registered after the transports' channels: it runs only when none of them could push the call.
  services.rpc.useChannel((call) => {
    if (!delivering.has(call.deviceId)) void announce(RPC_WAITING_SUBJECT, { origin, deviceId: call.deviceId }, 'a waiting RPC call');
    return false; // not delivered here; the call stays queued in the store
  });
  const stopRpc = await pubsub.subscribe(RPC_WAITING_SUBJECT, (data) => {
    const message = parse<RpcWaitingMessage>(data);
    if (!message || message.origin === origin || delivering.has(message.deviceId)) return;
    delivering.add(message.deviceId);
    services.rpc
      .deliverPending(message.deviceId)
      .catch((err) => log.warn({ err, deviceId: message.deviceId }, 'delivering RPC calls announced by another node failed'))
      .finally(() => delivering.delete(message.deviceId));
  });

  services.rpc.onSettled((call) => {
    const message: RpcSettledMessage = { origin, tenantId: call.tenantId, id: call.id };
    pubsub.publish(RPC_SETTLED_SUBJECT, encode(message)).catch((err) => log.warn({ err }, 'could not tell the other nodes an RPC call finished; a caller waiting there gets the answer at the call deadline'));
  });
  const stopSettled = await pubsub.subscribe(RPC_SETTLED_SUBJECT, (data) => {
    const message = parse<RpcSettledMessage>(data);
    if (!message || message.origin === origin) return;
    services.rpc.settledElsewhere(message.tenantId, message.id).catch((err) => log.warn({ err, call: message.id }, 'reading an RPC call another node finished failed'));
  });

  return async () => {
    await stopAttributes();
    await stopRpc();
    await stopSettled();
  };
}

function parse<T>(data: Uint8Array): T | null {
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as T;
  } catch {
    return null;
  }
}
