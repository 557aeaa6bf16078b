// Entry points for payload formats other than ThingsBoard JSON, shared by every transport
// (HTTP today, CoAP, and the MQTT handlers once they call them): parse with the ingest
// service's limits, accept durably, then keep the units the payload declared.
import type { Transport } from '../../../ports/telemetry.js';
import type { DeviceIdentity, IngestService } from '../ingest.service.js';
import type { KeyUnits } from '../key-units.js';
import { parseSenmlJson } from './senml.js';

export const SENML_JSON_TYPE = 'application/senml+json';

/** Accepts a SenML JSON pack; resolves with the point count once durable. */
export async function acceptSenmlJson(
  ingest: IngestService,
  units: KeyUnits,
  device: DeviceIdentity,
  transport: Transport,
  payload: Buffer,
): Promise<number> {
  let declared: Map<string, string> | undefined;
  const count = await ingest.acceptParsed(
    device,
    transport,
    (limits) => {
      const result = parseSenmlJson(payload, limits);
      declared = result.units;
      return result.points;
    },
    payload,
  );
  if (declared && declared.size > 0) units.remember(device, declared);
  return count;
}
