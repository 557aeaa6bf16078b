// One handler per topic family; the connection routes each publish through here.
import type { AttributeService } from '../../../domains/device-api/attributes.service.js';
import type { RpcService } from '../../../domains/device-api/rpc.service.js';
import type { ProvisioningService } from '../../../domains/device-api/provisioning.service.js';
import type { GatewayService } from '../../../domains/device-api/gateway.service.js';
import type { OtaService } from '../../../domains/device-api/ota.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { notSupportedHandler } from './not-supported.js';
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

/** The device-API services; without them (tests of the bare transport) those topics are refused. */
export interface DeviceApiServices {
  attributes: AttributeService;
  rpc: RpcService;
  provisioning?: ProvisioningService;
  gateways?: GatewayService;
  ota?: OtaService;
}

export function defaultHandlers(ingest: IngestService, maxPayloadBytes: number, deviceApi?: DeviceApiServices): TopicHandlers {
  return {
    telemetry: telemetryHandler(ingest, maxPayloadBytes),
    attributes: deviceApi ? attributesHandler(ingest, deviceApi.attributes, maxPayloadBytes) : notSupportedHandler('attributes', ingest),
    rpc: deviceApi ? rpcHandler(ingest, deviceApi.rpc) : notSupportedHandler('rpc', ingest),
    provision: deviceApi?.provisioning ? provisionHandler(deviceApi.provisioning) : notSupportedHandler('provision', ingest),
    claim: deviceApi?.provisioning ? claimHandler(ingest, deviceApi.provisioning) : notSupportedHandler('claim', ingest),
    firmware: deviceApi?.ota ? firmwareHandler(ingest, deviceApi.ota) : notSupportedHandler('firmware', ingest),
    gateway: deviceApi?.gateways ? gatewayHandler({ ingest, ...deviceApi, gateways: deviceApi.gateways }) : notSupportedHandler('gateway', ingest),
  };
}
