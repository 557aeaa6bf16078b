// Claiming (v1/devices/me/claim): the device opens a window in which a user may claim it with
// {"secretKey": "...", "durationMs": 60000} (both optional).
import { parseJsonBody } from '../../../domains/device-api/attributes.service.js';
import type { ProvisioningService } from '../../../domains/device-api/provisioning.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { AppError } from '../../../errors.js';
import { Reason } from '../reason-codes.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

export function claimHandler(ingest: IngestService, provisioning: ProvisioningService): TopicHandler {
  return {
    async handle(ctx: PublishContext): Promise<Outcome> {
      try {
        await provisioning.allowClaim(ctx.device, ctx.payload.length === 0 ? {} : parseJsonBody(ctx.payload));
        return ACCEPTED;
      } catch (err) {
        if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
        ingest.recordRejection(ctx.device, 'mqtt', 'invalid_shape', err.message, ctx.payload);
        return { reason: Reason.payloadFormatInvalid, message: err.message };
      }
    },
  };
}
