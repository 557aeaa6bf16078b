// Topic families Vigil knows but does not handle yet (attributes, RPC, provisioning, claiming,
// firmware, gateway): the device is told clearly (MQTT 5: PUBACK 0x83 with a reason string) and
// the message is kept in the dead-letter log. The device-management work replaces these one
// module at a time.
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import type { TopicFamily } from '../topics.js';
import { Reason } from '../reason-codes.js';
import type { Outcome, PublishContext, TopicHandler } from './handler.js';

export function notSupportedHandler(family: TopicFamily, ingest: IngestService): TopicHandler {
  const message = `${family} over MQTT is not supported yet`;
  const outcome: Outcome = Object.freeze({ reason: Reason.implementationSpecificError, message });
  return {
    handle(ctx: PublishContext): Outcome {
      ingest.recordRejection(ctx.device, 'mqtt', 'unknown_topic', `${message} (topic ${ctx.topic})`, ctx.payload);
      return outcome;
    },
  };
}
