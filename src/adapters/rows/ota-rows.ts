// Row mapping of the OtaPackageStore tables, shared by the DuckDB and PostgreSQL stores.
import type { OtaCampaign, OtaKind, OtaPackage } from '../../ports/ota-package-store.js';
import { num, textOrNull, type Row } from './row.js';

/** The package columns without its bytes. */
export const OTA_PACKAGE_COLUMNS = 'id, tenant_id, kind, title, version, device_type, checksum_algorithm, checksum, size_bytes, created_at';

export function toPackage(r: Row): OtaPackage {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    kind: r.kind as OtaKind,
    title: r.title as string,
    version: r.version as string,
    deviceType: textOrNull(r.device_type),
    checksumAlgorithm: 'SHA256',
    checksum: r.checksum as string,
    sizeBytes: num(r.size_bytes),
    createdAt: num(r.created_at),
  };
}

/** A campaign is kept whole as one JSON body (its device list is read and written with it). */
export function toCampaign(r: Row): OtaCampaign {
  return JSON.parse(r.body as string) as OtaCampaign;
}
