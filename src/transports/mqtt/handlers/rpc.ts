// RPC (see topics.ts):
//   v1/devices/me/rpc/response/{id}, v2/r/res/{id}   the device answers a server command
//   v1/devices/me/rpc/request/{id}, v2/r/req/{id}    the device calls the server (getSessionLimits,
//                                                     getTime); the answer goes to .../rpc/response/{id}
// Server-to-device commands are pushed by device-push.ts.
import { parseJsonBody } from '../../../domains/device-api/attributes.service.js';
import type { RpcService } from '../../../domains/device-api/rpc.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { AppError } from '../../../errors.js';
import { Reason } from '../reason-codes.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

interface RpcTopic {
  kind: 'request' | 'response';
  requestId: string;
  /** Where the answer to a device's request goes. */
  replyTopic: string;
}

export function parseRpcTopic(topic: string): RpcTopic | null {
  let m = /^v1\/devices\/me\/rpc\/(request|response)\/([^/]+)$/.exec(topic);
  if (m) return { kind: m[1] as RpcTopic['kind'], requestId: m[2]!, replyTopic: `v1/devices/me/rpc/response/${m[2]}` };
  m = /^v2\/r\/(req|res)\/(?:(j)\/)?([^/]+)$/.exec(topic);
  if (!m || m[3] === 'p') return null;
  return { kind: m[1] === 'req' ? 'request' : 'response', requestId: m[3]!, replyTopic: m[2] ? `v2/r/res/j/${m[3]}` : `v2/r/res/${m[3]}` };
}

/** A device reply body: JSON if it parses, else the text as a string (ThingsBoard accepts both). */
function replyBody(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function rpcHandler(ingest: IngestService, rpc: RpcService): TopicHandler {
  return {
    async handle(ctx: PublishContext): Promise<Outcome> {
      const parsed = parseRpcTopic(ctx.topic);
      if (!parsed) {
        const message = `Protobuf RPC (${ctx.topic}) is not supported; use JSON`;
        ingest.recordRejection(ctx.device, 'mqtt', 'unknown_topic', message, ctx.payload);
        return { reason: Reason.implementationSpecificError, message };
      }
      const device = { tenantId: ctx.device.tenantId, deviceId: ctx.device.deviceId };
      if (parsed.kind === 'response') {
        const requestId = Number(parsed.requestId);
        // A reply to an unknown or already finished call is accepted and ignored: the device did its part.
        if (Number.isSafeInteger(requestId)) await rpc.respond(device, requestId, replyBody(ctx.payload));
        return ACCEPTED;
      }
      let body: unknown;
      try {
        body = parseJsonBody(ctx.payload);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        ingest.recordRejection(ctx.device, 'mqtt', 'invalid_json', err.message, ctx.payload);
        return { reason: Reason.payloadFormatInvalid, message: err.message };
      }
      const method = typeof body === 'object' && body !== null ? (body as { method?: unknown }).method : undefined;
      ctx.reply(parsed.replyTopic, JSON.stringify(rpc.answerDeviceCall(method)));
      return ACCEPTED;
    },
  };
}
