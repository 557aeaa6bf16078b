// A device renamed, retyped or relabelled through one node: every node drops what it cached about
// it (its credential's device record, the type the detectors and the rule engine looked up), so
// type-targeted rules and detector policies follow the new type on every node. Published on
// PubSub and replayed into each other node's DeviceService; at most once, like revocations.
import { randomUUID } from 'node:crypto';
import type { PubSub, Unsubscribe } from '../../ports/pubsub.js';
import type { Logger } from '../../observability/logger.js';
import type { DeviceService } from './devices.service.js';

export const DEVICE_UPDATED_SUBJECT = 'device.updated';

export async function relayDeviceUpdates(devices: DeviceService, pubsub: PubSub, log: Logger): Promise<Unsubscribe> {
  const origin = randomUUID();
  /** The device whose update is being replayed from PubSub, not to be published again. */
  let replaying: string | null = null;
  devices.onDeviceUpdated((deviceId) => {
    if (deviceId === replaying) return;
    pubsub.publish(DEVICE_UPDATED_SUBJECT, Buffer.from(JSON.stringify({ deviceId, origin }))).catch((err) => {
      log.error({ err, deviceId }, 'could not tell the other nodes a device changed; their cached device type stays until restart');
    });
  });
  return pubsub.subscribe(DEVICE_UPDATED_SUBJECT, (data) => {
    let message: { deviceId?: unknown; origin?: unknown };
    try {
      message = JSON.parse(Buffer.from(data).toString('utf8')) as typeof message;
    } catch (err) {
      log.error({ err }, 'unreadable device-updated message ignored');
      return;
    }
    if (message.origin === origin || typeof message.deviceId !== 'string') return;
    replaying = message.deviceId;
    try {
      devices.updatedElsewhere(message.deviceId);
    } finally {
      replaying = null;
    }
  });
}
