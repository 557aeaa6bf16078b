// The industrial per-device topic layout over MQTT (formats/industrial-message.ts has the format):
// devices publish <prefix>/devices/{device_id}/telemetry, /telemetry/{key} and /status, and may
// subscribe only to their own /config and /command, which the platform publishes to
// (MqttTransport.sendToDevice). {device_id} is the authenticated device's id or name; any other
// is refused as not authorized and dead-lettered (MQTT 3.1.1: acknowledged and dropped, like every
// message that could never be stored - docs/architecture.md, MQTT).
import type { PresenceTracker } from '../../../domains/devices/presence.js';
import type { DeviceIdentity, IngestService } from '../../../domains/telemetry/ingest.service.js';
import type { KeyUnits } from '../../../domains/telemetry/key-units.js';
import { acceptIndustrialMessage } from '../../../domains/telemetry/formats/accept-formats.js';
import { parseIndustrialTopic } from '../../../domains/telemetry/formats/industrial-message.js';
import { PayloadError } from '../../../domains/telemetry/payload.js';
import { Reason } from '../reason-codes.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';
import { refusalOutcome } from './senml.js';

export interface IndustrialDeps {
  ingest: IngestService;
  units: KeyUnits;
  presence: PresenceTracker;
  prefix: string;
  maxPayloadBytes: number;
  /** The identifiers the device may use as {device_id}: its id and its name. */
  ownIds(device: DeviceIdentity): ReadonlySet<string>;
}

export function industrialHandler(deps: IndustrialDeps): TopicHandler {
  const { ingest, units, presence, prefix, maxPayloadBytes } = deps;
  return {
    waitMs: (device) => ingest.rateLimitWaitMs(device),
    async handle(ctx: PublishContext): Promise<Outcome> {
      const topic = parseIndustrialTopic(ctx.topic, prefix);
      if (!topic) {
        const message = `topic ${ctx.topic} is not supported`;
        ingest.recordRejection(ctx.device, 'mqtt', 'unknown_topic', message, ctx.payload);
        return { reason: Reason.topicNameInvalid, message };
      }
      if (ctx.payload.length > maxPayloadBytes) {
        const message = `payload of ${ctx.payload.length} bytes exceeds ${maxPayloadBytes}`;
        ingest.recordRejection(ctx.device, 'mqtt', 'too_large', message, ctx.payload);
        return { reason: Reason.payloadFormatInvalid, message };
      }
      try {
        const result = await acceptIndustrialMessage(ingest, units, ctx.device, deps.ownIds(ctx.device), topic, ctx.payload, 'mqtt');
        // A status message proves the device alive; "offline" (e.g. a last will) does not, and the
        // connection's own end is what takes an MQTT device offline.
        if (result.kind === 'status' && result.status.toLowerCase() !== 'offline') {
          presence.activity(ctx.device.tenantId, ctx.device.deviceId);
        }
        return ACCEPTED;
      } catch (err) {
        if (!(err instanceof PayloadError)) throw err;
        return refusalOutcome(err);
      }
    },
  };
}

/** Whether a device may subscribe to `filter`: only its own config and command topics, exactly. */
export function mayIndustrialSubscribe(filter: string, prefix: string, ownIds: ReadonlySet<string>): boolean {
  const topic = parseIndustrialTopic(filter, prefix);
  if (!topic || (topic.kind !== 'config' && topic.kind !== 'command')) return false;
  // parseIndustrialTopic refuses wildcards in the device_id level; none may appear anywhere else.
  return ownIds.has(topic.deviceId) && !filter.includes('+') && !filter.includes('#');
}
