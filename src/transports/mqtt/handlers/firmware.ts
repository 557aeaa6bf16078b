// OTA downloads over MQTT: v2/fw/request/{requestId}/chunk/{n} (software: v2/sw/...) with the
// wanted chunk size as text (empty: the whole package); the bytes go to
// v2/fw/response/{requestId}/chunk/{n}, errors as text to v2/fw/error. The package is the one
// assigned to the device (shared attributes fw_title / fw_version).
import { OtaError, type OtaService } from '../../../domains/device-api/ota.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

const REQUEST = /^v2\/(fw|sw)\/request\/([^/]+)\/chunk\/([^/]+)$/;

export function firmwareHandler(_ingest: IngestService, ota: OtaService): TopicHandler {
  return {
    async handle(ctx: PublishContext): Promise<Outcome> {
      const m = REQUEST.exec(ctx.topic)!;
      const [, prefix, requestId, chunkText] = m as unknown as [string, 'fw' | 'sw', string, string];
      const sizeText = ctx.payload.toString('utf8').trim();
      const chunkSize = sizeText === '' ? 0 : Number(sizeText);
      try {
        const bytes = await ota.chunk(ctx.device, prefix === 'fw' ? 'firmware' : 'software', {}, Number(chunkText), chunkSize);
        if (!ctx.reply(`v2/${prefix}/response/${requestId}/chunk/${chunkText}`, bytes)) {
          ctx.reply(`v2/${prefix}/error`, 'chunk not delivered: subscribe to v2/fw/response/+/chunk/+ and ask for chunks below your maximum packet size');
        }
      } catch (err) {
        if (!(err instanceof OtaError)) throw err;
        ctx.reply(`v2/${prefix}/error`, err.message);
      }
      // The request itself was handled; its answer (bytes or error) is on the response topics.
      return ACCEPTED;
    },
  };
}
