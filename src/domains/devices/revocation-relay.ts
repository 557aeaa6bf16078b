// A credential rotated or a device deleted on one node must end that device's sessions on every
// node, and drop the token each node has cached: the revocation is published on PubSub and each
// node replays it into its own DeviceService (whose listeners close the MQTT sessions). Redis
// pub/sub delivers in milliseconds; a node disconnected from Redis at that moment misses it, and
// its cached token then lives until the device reconnects elsewhere or the node restarts.
import type { PubSub, Unsubscribe } from '../../ports/pubsub.js';
import type { Logger } from '../../observability/logger.js';
import type { DeviceService } from './devices.service.js';

export const CREDENTIALS_REVOKED_SUBJECT = 'device.credentials-revoked';

export async function relayRevocations(devices: DeviceService, pubsub: PubSub, log: Logger): Promise<Unsubscribe> {
  /** The device whose revocation is being replayed from PubSub, not to be published again. */
  let replaying: string | null = null;
  devices.onCredentialsRevoked((deviceId) => {
    if (deviceId === replaying) return;
    pubsub.publish(CREDENTIALS_REVOKED_SUBJECT, Buffer.from(deviceId)).catch((err) => {
      log.error({ err, deviceId }, 'could not tell the other nodes a credential was revoked; their sessions of this device stay open');
    });
  });
  return pubsub.subscribe(CREDENTIALS_REVOKED_SUBJECT, (data) => {
    const deviceId = Buffer.from(data).toString('utf8');
    replaying = deviceId;
    try {
      devices.revokedElsewhere(deviceId);
    } finally {
      replaying = null;
    }
  });
}
