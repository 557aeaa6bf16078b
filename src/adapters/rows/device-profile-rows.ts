// Row mapping of the DeviceProfileStore table, shared by the DuckDB and PostgreSQL stores: the
// telemetry schema is JSON text in both.
import type { DeviceProfile } from '../../ports/device-profile-store.js';
import { jsonOrNull, num, type Row } from './row.js';

export function toDeviceProfile(r: Row): DeviceProfile {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    description: r.description as string,
    telemetrySchema: (jsonOrNull(r.telemetry_schema) as DeviceProfile['telemetrySchema']) ?? null,
    onViolation: r.on_violation as DeviceProfile['onViolation'],
    inactivityTimeoutMs: r.inactivity_timeout_ms === null || r.inactivity_timeout_ms === undefined ? null : num(r.inactivity_timeout_ms),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}
