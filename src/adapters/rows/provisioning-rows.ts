// Row mapping of the ProvisioningStore tables, shared by the DuckDB and PostgreSQL stores.
import type { PendingClaim, ProvisionProfile, ProvisionStrategy } from '../../ports/provisioning-store.js';
import { num, type Row } from './row.js';

export function toProfile(r: Row): ProvisionProfile {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    name: r.name as string,
    deviceType: r.device_type as string,
    strategy: r.strategy as ProvisionStrategy,
    provisionKey: r.provision_key as string,
    secretHash: r.secret_hash as string,
    createdAt: num(r.created_at),
  };
}

export function toClaim(r: Row): PendingClaim {
  return { tenantId: r.tenant_id as string, deviceId: r.device_id as string, secretHash: r.secret_hash as string, expiresAt: num(r.expires_at) };
}
