// SenML (RFC 8428) over MQTT. MQTT 5 clients mark the payload with the content type on the usual
// telemetry topics; MQTT 3.1.1 has no content type, so those clients publish on dedicated topics:
//   v1/devices/me/telemetry/senml        SenML JSON
//   v1/devices/me/telemetry/senml/cbor   SenML CBOR
// Both go through acceptSenml (units kept as key metadata); refusals map like ThingsBoard JSON.
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import type { KeyUnits } from '../../../domains/telemetry/key-units.js';
import { acceptSenml, SENML_CBOR_TYPE, SENML_JSON_TYPE } from '../../../domains/telemetry/formats/accept-formats.js';
import { PayloadError } from '../../../domains/telemetry/payload.js';
import { Reason } from '../reason-codes.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

export const SENML_JSON_TOPIC = 'v1/devices/me/telemetry/senml';
export const SENML_CBOR_TOPIC = 'v1/devices/me/telemetry/senml/cbor';

/** 'json' or 'cbor' when the publish carries SenML (by dedicated topic, else MQTT 5 content type). */
export function senmlEncoding(ctx: Pick<PublishContext, 'topic' | 'properties'>): 'json' | 'cbor' | null {
  if (ctx.topic === SENML_JSON_TOPIC) return 'json';
  if (ctx.topic === SENML_CBOR_TOPIC) return 'cbor';
  // Media types are case-insensitive and may carry parameters ("; charset=utf-8").
  const type = ctx.properties?.contentType?.split(';')[0]!.trim().toLowerCase();
  if (type === SENML_JSON_TYPE) return 'json';
  if (type === SENML_CBOR_TYPE) return 'cbor';
  return null;
}

/** The refusal a device is told for a payload the ingest service rejected (already dead-lettered). */
export function refusalOutcome(err: PayloadError): Outcome {
  if (err.reason === 'rate_limited' || err.reason === 'too_many_series' || err.reason === 'quota_exceeded') return { reason: Reason.quotaExceeded, message: err.message };
  if (err.reason === 'unauthorized') return { reason: Reason.notAuthorized, message: err.message };
  return { reason: Reason.payloadFormatInvalid, message: err.message };
}

/**
 * Telemetry with SenML: publishes that carry SenML go to acceptSenml, everything else to the
 * ThingsBoard JSON handler given.
 */
export function withSenml(json: TopicHandler, ingest: IngestService, units: KeyUnits, maxPayloadBytes: number): TopicHandler {
  return {
    waitMs: (device) => ingest.rateLimitWaitMs(device),
    handle(ctx: PublishContext): Promise<Outcome> | Outcome {
      const encoding = senmlEncoding(ctx);
      if (!encoding) return json.handle(ctx);
      return handleSenml(ctx, encoding);
    },
  };

  async function handleSenml(ctx: PublishContext, encoding: 'json' | 'cbor'): Promise<Outcome> {
    if (ctx.payload.length > maxPayloadBytes) {
      const message = `payload of ${ctx.payload.length} bytes exceeds ${maxPayloadBytes}`;
      ingest.recordRejection(ctx.device, 'mqtt', 'too_large', message, ctx.payload);
      return { reason: Reason.payloadFormatInvalid, message };
    }
    try {
      await acceptSenml(ingest, units, ctx.device, 'mqtt', ctx.payload, encoding);
      return ACCEPTED;
    } catch (err) {
      if (!(err instanceof PayloadError)) throw err;
      return refusalOutcome(err);
    }
  }
}
