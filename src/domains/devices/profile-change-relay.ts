// Every node holds the device profiles in memory (ingest checks each message against them). A
// profile created, replaced or deleted through one node is announced on PubSub, and every other
// node reads the profiles again from the shared store, so schema checks and inactivity timeouts
// follow within milliseconds rather than at the next restart. At most once: a node cut off from
// Redis at that moment keeps the old profiles until the next change or restart (docs/scaling.md).
import { randomUUID } from 'node:crypto';
import type { PubSub, Unsubscribe } from '../../ports/pubsub.js';
import type { Logger } from '../../observability/logger.js';
import type { DeviceProfileService } from './profiles.service.js';

export const PROFILES_CHANGED_SUBJECT = 'device.profiles-changed';

export async function relayProfileChanges(profiles: DeviceProfileService, pubsub: PubSub, log: Logger): Promise<Unsubscribe> {
  const origin = randomUUID();
  profiles.onChangedHere(() => {
    pubsub.publish(PROFILES_CHANGED_SUBJECT, Buffer.from(origin)).catch((err) => {
      log.error({ err }, 'could not tell the other nodes a device profile changed; they keep the old profiles until restart');
    });
  });
  return pubsub.subscribe(PROFILES_CHANGED_SUBJECT, (data) => {
    if (Buffer.from(data).toString('utf8') === origin) return; // applied when made
    profiles.reload().catch((err) => log.error({ err }, 'reloading device profiles changed on another node failed'));
  });
}
