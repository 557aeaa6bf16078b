// Attributes (see topics.ts):
//   v1/devices/me/attributes, v2/a, v2/a/j           the device reports client attributes
//   v1/devices/me/attributes/request/{id}, v2/a/req/{id}, v2/a/req/j/{id}
//                                                     the device asks; the answer goes to
//                                                     v1/devices/me/attributes/response/{id} (v2: v2/a/res/{id})
// Shared-attribute updates flow the other way (device-push.ts). Protobuf forms are refused.
import type { AttributeService } from '../../../domains/device-api/attributes.service.js';
import { parseAttributeRequest, parseJsonBody } from '../../../domains/device-api/attributes.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { AppError } from '../../../errors.js';
import { Reason } from '../reason-codes.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

const REPORT_TOPICS = new Set(['v1/devices/me/attributes', 'v2/a', 'v2/a/j']);
const V1_REQUEST_PREFIX = 'v1/devices/me/attributes/request/';

/** The topic the answer to an attribute request goes to, or null if the topic is not a request. */
export function attributeResponseTopic(topic: string): string | null {
  if (topic.startsWith(V1_REQUEST_PREFIX)) return `v1/devices/me/attributes/response/${topic.slice(V1_REQUEST_PREFIX.length)}`;
  const m = /^v2\/a\/req\/(?:(j)\/)?([^/]+)$/.exec(topic);
  if (!m || m[2] === 'p') return null;
  return m[1] ? `v2/a/res/j/${m[2]}` : `v2/a/res/${m[2]}`;
}

export function attributesHandler(ingest: IngestService, attributes: AttributeService, maxPayloadBytes: number): TopicHandler {
  const refuse = (ctx: PublishContext, reason: number, message: string): Outcome => {
    ingest.recordRejection(ctx.device, 'mqtt', reason === Reason.implementationSpecificError ? 'unknown_topic' : 'invalid_shape', message, ctx.payload);
    return { reason, message };
  };
  return {
    async handle(ctx: PublishContext): Promise<Outcome> {
      if (ctx.payload.length > maxPayloadBytes) return refuse(ctx, Reason.payloadFormatInvalid, `payload of ${ctx.payload.length} bytes exceeds ${maxPayloadBytes}`);
      const device = { tenantId: ctx.device.tenantId, deviceId: ctx.device.deviceId };
      try {
        if (REPORT_TOPICS.has(ctx.topic)) {
          await attributes.report(device, parseJsonBody(ctx.payload));
          return ACCEPTED;
        }
        const responseTopic = attributeResponseTopic(ctx.topic);
        if (!responseTopic) return refuse(ctx, Reason.implementationSpecificError, `Protobuf attributes (${ctx.topic}) are not supported; publish JSON`);
        const body = ctx.payload.length === 0 ? {} : parseJsonBody(ctx.payload);
        const answer = await attributes.request(device, parseAttributeRequest(body));
        ctx.reply(responseTopic, JSON.stringify(answer));
        return ACCEPTED;
      } catch (err) {
        if (err instanceof AppError && err.statusCode < 500) return refuse(ctx, Reason.payloadFormatInvalid, err.message);
        throw err;
      }
    },
  };
}
