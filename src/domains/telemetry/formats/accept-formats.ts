// Entry points for payload formats other than ThingsBoard JSON, shared by every transport
// (HTTP and CoAP today; the MQTT handlers once they call them): parse with the ingest
// service's limits, accept durably, then keep the units the payload declared.
import type { Transport } from '../../../ports/telemetry.js';
import type { DeviceIdentity, IngestService } from '../ingest.service.js';
import type { KeyUnits } from '../key-units.js';
import { parseSenmlJson } from './senml.js';
import { parseSenmlCbor } from './senml-cbor.js';
import { parseIndustrialMessage, type IndustrialStatus, type IndustrialTelemetry, type IndustrialTopic } from './industrial-message.js';

export const SENML_JSON_TYPE = 'application/senml+json';
export const SENML_CBOR_TYPE = 'application/senml+cbor';

/** Accepts a SenML pack (JSON, or CBOR when `cbor`); resolves with the point count once durable. */
export async function acceptSenml(
  ingest: IngestService,
  units: KeyUnits,
  device: DeviceIdentity,
  transport: Transport,
  payload: Buffer,
  encoding: 'json' | 'cbor' = 'json',
): Promise<number> {
  let declared: Map<string, string> | undefined;
  const count = await ingest.acceptParsed(
    device,
    transport,
    (limits) => {
      const result = encoding === 'cbor' ? parseSenmlCbor(payload, limits) : parseSenmlJson(payload, limits);
      declared = result.units;
      return result.points;
    },
    payload,
  );
  if (declared && declared.size > 0) units.remember(device, declared);
  return count;
}

/**
 * Accepts a message of the industrial per-device topic layout (see industrial-message.ts).
 * Telemetry resolves with the point count once durable; a status message resolves with the
 * status for the caller (presence) and stores nothing. Rejections go the usual way.
 */
export async function acceptIndustrialMessage(
  ingest: IngestService,
  units: KeyUnits,
  device: DeviceIdentity,
  ownIds: ReadonlySet<string>,
  topic: IndustrialTopic,
  payload: Buffer,
  transport: Transport = 'mqtt',
): Promise<{ kind: 'telemetry'; count: number } | IndustrialStatus> {
  if (topic.kind === 'status') {
    try {
      return parseIndustrialMessage(topic, payload, ownIds, { nowMs: Date.now(), maxFutureSkewMs: Number.MAX_SAFE_INTEGER }) as IndustrialStatus;
    } catch (err) {
      throw ingest.reject(device, transport, err, payload);
    }
  }
  let declared: Map<string, string> | undefined;
  const count = await ingest.acceptParsed(
    device,
    transport,
    (limits) => {
      const result = parseIndustrialMessage(topic, payload, ownIds, limits) as IndustrialTelemetry;
      declared = result.units;
      return result.points;
    },
    payload,
  );
  if (declared && declared.size > 0) units.remember(device, declared);
  return { kind: 'telemetry', count };
}
