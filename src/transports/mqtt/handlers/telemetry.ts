// Telemetry (v1/devices/me/telemetry, v2/t, v2/t/j): the payload goes to the ingest service,
// which resolves once the points are in the durable log - the moment the device is acknowledged.
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { PayloadError } from '../../../domains/telemetry/payload.js';
import { Reason } from '../reason-codes.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

export function telemetryHandler(ingest: IngestService, maxPayloadBytes: number): TopicHandler {
  return {
    waitMs: (device) => ingest.rateLimitWaitMs(device),
    handle(ctx: PublishContext): Promise<Outcome> | Outcome {
      if (ctx.topic.endsWith('/p')) {
        const message = 'Protobuf telemetry is not supported yet; publish JSON';
        ingest.recordRejection(ctx.device, 'mqtt', 'unknown_topic', message, ctx.payload);
        return { reason: Reason.implementationSpecificError, message };
      }
      if (ctx.payload.length > maxPayloadBytes) {
        const message = `payload of ${ctx.payload.length} bytes exceeds ${maxPayloadBytes}`;
        ingest.recordRejection(ctx.device, 'mqtt', 'too_large', message, ctx.payload);
        return { reason: Reason.payloadFormatInvalid, message };
      }
      // One .then, not an async function: its promise and await cost a job per message (issue #9).
      return ingest.acceptRaw(ctx.device, 'mqtt', ctx.payload).then(accepted, refused);
    },
  };
}

const accepted = (): Outcome => ACCEPTED;

function refused(err: unknown): Outcome {
  if (!(err instanceof PayloadError)) throw err;
  // Already counted and kept in the dead-letter log by the ingest service.
  // Over a rate or the tenant's series quota: 0x97 quota exceeded, not a malformed payload.
  if (err.reason === 'rate_limited' || err.reason === 'too_many_series' || err.reason === 'quota_exceeded') return { reason: Reason.quotaExceeded, message: err.message };
  return { reason: Reason.payloadFormatInvalid, message: err.message };
}
