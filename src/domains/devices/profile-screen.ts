// The ingest hook for device-profile schemas: out-of-schema points are dropped and logged in the
// dead-letter log (reason schema_violation), or kept and logged as flagged (schema_flagged) when
// the profile says flag. A message with no acceptable point is refused as a whole (HTTP 422,
// MQTT 5 PUBACK 0x99).
import { PayloadError } from '../telemetry/payload.js';
import type { SchemaCheck } from '../telemetry/ingest.service.js';
import type { TelemetryPoint } from '../../ports/telemetry.js';
import type { DeviceProfileService, ProfileVerdict } from './profiles.service.js';

/** Violations named in a message; the details carry up to MAX_DETAILS of them. */
const MAX_LISTED = 5;
const MAX_DETAILS = 50;

export function profileSchemaCheck(profiles: DeviceProfileService): SchemaCheck {
  return (device, points, record) => {
    const verdict = profiles.screen(device.tenantId, device.deviceId, points);
    return verdict instanceof Promise ? verdict.then((v) => apply(v, points, record)) : apply(verdict, points, record);
  };
}

function apply(verdict: ProfileVerdict | null, points: TelemetryPoint[], record: Parameters<SchemaCheck>[2]): TelemetryPoint[] {
  if (!verdict || verdict.violations.length === 0) return points;
  const v = verdict.violations;
  const listed = v.slice(0, MAX_LISTED).map((x) => `${x.key}: ${x.reason}`).join('; ') + (v.length > MAX_LISTED ? `; and ${v.length - MAX_LISTED} more` : '');
  if (verdict.onViolation === 'flag') {
    record('schema_flagged', `accepted, flagged: ${v.length} of ${points.length} points outside profile ${verdict.profile} (${listed})`);
    return points;
  }
  if (verdict.accepted.length === 0) {
    throw new PayloadError('schema_violation', `no point fits profile ${verdict.profile}: ${listed}`, { violations: v.slice(0, MAX_DETAILS) });
  }
  record('schema_violation', `${v.length} of ${points.length} points refused by profile ${verdict.profile}, the rest stored: ${listed}`);
  return verdict.accepted;
}
