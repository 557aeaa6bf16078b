// The 'claim' topic family (see topics.ts). Not handled yet: refused with a clear reason and
// dead-lettered until the device-management work implements it here.
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import type { TopicHandler } from './handler.js';
import { notSupportedHandler } from './not-supported.js';

export function claimHandler(ingest: IngestService): TopicHandler {
  return notSupportedHandler('claim', ingest);
}
