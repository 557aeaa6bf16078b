// One handler per topic family; the connection routes each publish through here.
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import type { TopicFamily } from '../topics.js';
import { attributesHandler } from './attributes.js';
import { claimHandler } from './claim.js';
import { firmwareHandler } from './firmware.js';
import { gatewayHandler } from './gateway.js';
import type { TopicHandler } from './handler.js';
import { provisionHandler } from './provision.js';
import { rpcHandler } from './rpc.js';
import { telemetryHandler } from './telemetry.js';

export type TopicHandlers = Record<TopicFamily, TopicHandler>;

export function defaultHandlers(ingest: IngestService, maxPayloadBytes: number): TopicHandlers {
  return {
    telemetry: telemetryHandler(ingest, maxPayloadBytes),
    attributes: attributesHandler(ingest),
    rpc: rpcHandler(ingest),
    provision: provisionHandler(ingest),
    claim: claimHandler(ingest),
    firmware: firmwareHandler(ingest),
    gateway: gatewayHandler(ingest),
  };
}
